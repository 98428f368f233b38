using System;
using System.Collections.Generic;
using System.Linq;
using LayerGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LayerGen.Generator.Parsing;

// Loops: a counted `for` becomes one Loop instruction whose body is a region, a method of its own (DESIGN.md §7).
// The region's parameters are the loop variable, the outer values the body reads, the variables it assigns (their value
// before the iteration) and the sequence elements xs[t] it reads; its results are the assigned variables after the
// iteration. Each region goes through the same passes as a user's method (shapes, differentiation, plan, emit), so every
// rule, buffer decision and need flag of straight-line code holds inside a loop body unchanged; the outer method calls
// the region once per iteration with a tape of its own and walks those tapes in reverse in its backward.
internal static partial class ForwardParser
{
    /// <summary>What a region (loop body) parser binds on entry.</summary>
    /// <param name="Index">The loop variable.</param>
    /// <param name="Items">Sequence symbol → the name of its element parameter (<c>xsT</c> for <c>xs[t]</c>).</param>
    /// <param name="Returns">A branch arm of an early return: it ends with a <c>return</c>, whose value is its result.</param>
    /// <param name="Elements">
    /// <c>foreach (var block in Blocks)</c> over a collection of sublayers: the loop variable → the collection and the
    /// value of the element's index.
    /// </param>
    private sealed record RegionScope(ILocalSymbol? Index, Dictionary<ISymbol, int> Items, bool Returns = false,
        Dictionary<ILocalSymbol, (string Collection, int Index)>? Elements = null);

    private sealed partial class BodyParser
    {
        /// <summary>Set when this parser parses a loop body (a region) rather than a method.</summary>
        private RegionScope? _region;

        /// <summary>The regions (loop bodies) of this body, in order, each with its own nested regions.</summary>
        private readonly List<ForwardMethodModel> _regions = new();

        /// <summary>Per region name, where its values were read or defined (for the shape analyzer).</summary>
        private readonly Dictionary<string, IReadOnlyDictionary<int, (string, int, int)>> _regionSpans = new(StringComparer.Ordinal);

        /// <summary>The name regions of this body are numbered under (<c>Forward</c>, then <c>ForwardLoop1</c> for a nested one).</summary>
        private string _regionPrefix = "";

        /// <summary>Differentiable sequences already read by a loop: a second loop over one would need its gradients summed.</summary>
        private readonly HashSet<ISymbol> _sequencesRead = new(SymbolEqualityComparer.Default);

        private BodyParser(BodyParser parent, RegionScope region, string name)
            : this(parent._method, parent._cancellationToken, parent._calls, parent._scope)
        {
            _region = region;
            _regionPrefix = name;
            _stateMembers = parent._stateMembers;
            _updated = new HashSet<ISymbol>(parent._updated, SymbolEqualityComparer.Default);
            _layer = parent._layer;
            _elementText = parent._elementText;
            foreach (var registration in parent._registrations)
                _registrations[registration.Key] = registration.Value;
        }

        private string RegionPrefix => _regionPrefix.Length > 0 ? _regionPrefix : _method.Name;

        /// <summary>
        /// <c>for (int t = start; t &lt; end; t++) body</c>: the body becomes a region, the loop one instruction whose
        /// results rebind the variables the body assigns.
        /// </summary>
        private void ForLoop(IForLoopOperation loop)
        {
            string header = Normalize(HeaderText(loop));
            _statement = header;
            if (!CountedHeader(loop, out var index, out var startOperation, out var endOperation, out bool inclusive, out string why))
            {
                Unsupported(loop.Syntax, $"a 'for' loop whose header is not 'for (int i = start; i < end; i++)' ({why})");
                return;
            }
            Loop(loop, loop.Body, index, index.Name, startOperation, endOperation, inclusive, header, null, null);
        }

        /// <summary>
        /// <c>while (condition) body</c>: a loop whose iterations the condition decides, evaluated before the first and
        /// after each (it may read anything, the carried values included; it is never differentiated). The body's region
        /// returns the condition after the iteration; the tape records how many ran.
        /// </summary>
        private void WhileLoop(IWhileLoopOperation loop)
        {
            string header = Normalize(loop.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.WhileStatementSyntax w ? $"while ({w.Condition})" : "while (…)");
            _statement = header;
            Loop(loop, loop.Body, null, "iteration", null, null, false, header, null, null, whileCondition: loop.Condition);
        }

        /// <summary>
        /// <c>foreach (var x in xs) body</c> over a sequence input: the counted loop <c>for (int i = 0; i &lt; xs.Count; i++)</c>
        /// whose body reads <c>x = xs[i]</c>.
        /// </summary>
        private void ForEachLoop(IForEachLoopOperation loop)
        {
            string header = Normalize(loop.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.ForEachStatementSyntax f
                ? $"foreach ({f.Type} {f.Identifier} in {f.Expression})" : "foreach (…)");
            _statement = header;
            // foreach (var block in Blocks) over a collection of sublayers: the counted loop over its elements.
            if (Unwrap(loop.Collection) is IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } collection && IsThis(collection.Instance)
                && loop.LoopControlVariable is IVariableDeclaratorOperation { Symbol: { } element }
                && _layer?.Sublayers.FirstOrDefault(s => s.Name == collection.Member.Name && s.Collection != SublayerCollection.None) is { } sublayers)
            {
                Loop(loop, loop.Body, null, "i", null, null, false, header, null, element, sublayers);
                return;
            }
            if (Unwrap(loop.Collection) is not (ILocalReferenceOperation or IParameterReferenceOperation) || Symbols.SequenceItem(Unwrap(loop.Collection).Type) is null
                || loop.LoopControlVariable is not IVariableDeclaratorOperation { Symbol: { } variable })
            {
                Unsupported(loop.Syntax, "a 'foreach' loop over something other than a sequence input or local ('foreach (var x in xs)' with xs an IReadOnlyList<Matrix<T>> or IReadOnlyList<int[]>) or a collection of sublayers of this layer ('foreach (var block in Blocks)')");
                return;
            }
            Loop(loop, loop.Body, null, "i", null, null, false, header, Reference(Unwrap(loop.Collection)), variable);
        }

        /// <summary>
        /// A counted loop, from a 'for' (<paramref name="index"/> and the bounds) or a 'foreach' over a sequence
        /// (<paramref name="eachSequence"/> and its variable <paramref name="eachVariable"/>; the bounds are 0 and its count).
        /// </summary>
        private void Loop(IOperation loop, IOperation loopBody, ILocalSymbol? index, string indexName, IOperation? startOperation, IOperation? endOperation,
            bool inclusive, string header, ISymbol? eachSequence, ILocalSymbol? eachVariable, SublayerModel? eachSublayer = null,
            IOperation? whileCondition = null)
        {
            // What the body reads and assigns from outside it.
            var declaredInside = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            if (eachVariable is not null)
                declaredInside.Add(eachVariable);
            foreach (var node in loopBody.DescendantsAndSelf())
            {
                if (node is IVariableDeclaratorOperation declarator)
                    declaredInside.Add(declarator.Symbol);
                else if (node is ILoopOperation inner)
                    declaredInside.UnionWith(inner.Locals);
            }
            bool Outer(ISymbol symbol) => !declaredInside.Contains(symbol) && !SymbolEqualityComparer.Default.Equals(symbol, index);
            // The output lists the body adds to (ys.Add(y)): results of the loop, not values it reads.
            var emits = LoopEmits(loop, loopBody);
            if (emits is null)
                return;

            var reads = new List<ISymbol>();
            var assigned = new List<ISymbol>();
            var items = new List<ISymbol>();
            if (eachSequence is not null)
                items.Add(eachSequence);
            bool ok = true;
            var scanned = whileCondition is null ? loopBody.DescendantsAndSelf() : loopBody.DescendantsAndSelf().Concat(whileCondition.DescendantsAndSelf());
            foreach (var node in scanned)
            {
                switch (node)
                {
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation or IParameterReferenceOperation } a:
                        AddAssigned(Reference(a.Target));
                        break;
                    case ICompoundAssignmentOperation { Target: ILocalReferenceOperation or IParameterReferenceOperation } c:
                        AddAssigned(Reference(c.Target));
                        break;
                    case IIncrementOrDecrementOperation { Target: ILocalReferenceOperation or IParameterReferenceOperation } step:
                    {
                        var symbol = Reference(step.Target);
                        if (SymbolEqualityComparer.Default.Equals(symbol, index))
                        {
                            Unsupported(step.Syntax, $"changing the loop variable '{symbol.Name}' inside the loop");
                            ok = false;
                        }
                        else if (Outer(symbol))
                        {
                            // A counter (k++) carries over iterations like any assigned variable; other kinds are refused below.
                            AddAssigned(symbol);
                        }
                        break;
                    }
                    case IPropertyReferenceOperation { Property.IsIndexer: true, Instance: ILocalReferenceOperation or IParameterReferenceOperation } indexer
                        when Symbols.SequenceItem(indexer.Instance!.Type) is not null:
                    {
                        var sequence = Reference(indexer.Instance!);
                        bool byIndex = index is not null && indexer.Arguments.Length == 1 && Unwrap(indexer.Arguments[0].Value) is ILocalReferenceOperation l
                            && SymbolEqualityComparer.Default.Equals(l.Local, index);
                        if (!byIndex)
                        {
                            Unsupported(indexer.Syntax, index is null
                                ? $"an element of '{sequence.Name}' inside a 'foreach' (use the loop's variable, or a 'for' loop over an index)"
                                : $"an element of '{sequence.Name}' other than '{sequence.Name}[{index.Name}]' (a loop reads the element of its own step)");
                            ok = false;
                        }
                        else if (Outer(sequence) && !items.Contains(sequence, SymbolEqualityComparer.Default))
                        {
                            items.Add(sequence);
                        }
                        break;
                    }
                }
                // Every other mention of an outer variable is a read; a sequence indexed as xs[t] is read as its element (above).
                bool indexedSequence = node.Parent is IPropertyReferenceOperation { Property.IsIndexer: true } parent
                    && parent.Instance == node && Symbols.SequenceItem(node.Type) is not null;
                if (node is ILocalReferenceOperation or IParameterReferenceOperation && !indexedSequence)
                {
                    var symbol = Reference(node);
                    if (Outer(symbol) && !reads.Contains(symbol, SymbolEqualityComparer.Default) && !(symbol is ILocalSymbol list && _outputLists.ContainsKey(list)))
                        reads.Add(symbol);
                }
            }

            void AddAssigned(ISymbol symbol)
            {
                if (SymbolEqualityComparer.Default.Equals(symbol, index))
                {
                    Unsupported(loop.Syntax, $"assigning the loop variable '{indexName}' inside the loop");
                    ok = false;
                    return;
                }
                if (!Outer(symbol) || assigned.Contains(symbol, SymbolEqualityComparer.Default))
                    return;
                assigned.Add(symbol);
            }
            if (!ok)
                return;

            // The outer values: every assigned variable must have one before the loop, of a differentiable kind.
            var inputs = new List<(ISymbol Symbol, LoopInputKind Kind, int Outer)>();
            foreach (var symbol in assigned)
            {
                if (!TryOuterValue(symbol, out int value))
                {
                    Unsupported(loop.Syntax, $"'{symbol.Name}' assigned in the loop without a value before it (assign it before the loop, or declare it inside)");
                    return;
                }
                if (_values[value].Kind is not (ValueKind.Matrix or ValueKind.Scalar) && !IsCounter(value))
                {
                    Unsupported(loop.Syntax, $"assigning '{symbol.Name}' of type '{_values[value].TypeName}' inside a loop (only matrices, scalars of T and int counters may be assigned there)");
                    return;
                }
                inputs.Add((symbol, LoopInputKind.Carried, value));
            }
            foreach (var symbol in reads)
            {
                if (assigned.Contains(symbol, SymbolEqualityComparer.Default))
                    continue;
                if (!TryOuterValue(symbol, out int value))
                {
                    Unsupported(loop.Syntax, $"use of unassigned local '{symbol.Name}'");
                    return;
                }
                inputs.Add((symbol, LoopInputKind.Value, value));
            }
            foreach (var sequence in items)
            {
                if (!TryOuterValue(sequence, out int value))
                {
                    Unsupported(loop.Syntax, $"use of unassigned local '{sequence.Name}'");
                    return;
                }
                if (_values[value].Kind == ValueKind.Sequence && _values[value].IsVaried && !_sequencesRead.Add(sequence))
                {
                    Unsupported(loop.Syntax, $"a second loop over the differentiable sequence '{sequence.Name}' (read it in one loop, or mark it [NoGrad])");
                    return;
                }
                inputs.Add((sequence, LoopInputKind.Item, value));
            }
            if (assigned.Count == 0 && emits.Count == 0)
            {
                Unsupported(loop.Syntax, "a loop that assigns no variable declared before it and adds to no list of results (its work would be lost)");
                return;
            }

            // The bounds: values of the outer body that depend on nothing differentiable (ints); a foreach runs over all elements.
            int start, end;
            if (whileCondition is not null)
            {
                // Iterations from 0 while the condition holds: operand 1 is its value before the first.
                start = NewValue(ValueKind.Other, "int", "start", null, false, true);
                _instructions.Add(new Instruction(start, OpKind.Constant, EquatableArray<int>.Empty, Text: "0", IsLiteral: true, Statement: header, Line: LineOf(loop.Syntax)));
                end = Condition(whileCondition);
                if (end < 0)
                    return;
            }
            else if (startOperation is null || endOperation is null)
            {
                start = NewValue(ValueKind.Other, "int", "start", null, false, true);
                _instructions.Add(new Instruction(start, OpKind.Constant, EquatableArray<int>.Empty, Text: "0", IsLiteral: true, Statement: header, Line: LineOf(loop.Syntax)));
                end = NewValue(ValueKind.Other, "int", "count", null, false, true);
                if (eachSublayer is not null)
                {
                    string count = $"{(_method.IsStatic ? "" : "this.")}{eachSublayer.Name}.{eachSublayer.CountText}";
                    _instructions.Add(new Instruction(end, OpKind.Constant, EquatableArray<int>.Empty, Text: count,
                        Source: eachSublayer.Name + "." + eachSublayer.CountText, Statement: header, Line: LineOf(loop.Syntax)));
                }
                else
                {
                    TryOuterValue(eachSequence!, out int sequenceValue);
                    _instructions.Add(new Instruction(end, OpKind.Constant, new[] { sequenceValue }.ToEquatableArray(), Text: ConstantText.Hole(0) + ".Count",
                        Source: eachSequence!.Name + ".Count", Statement: header, Line: LineOf(loop.Syntax)));
                }
            }
            else
            {
                start = Parse(startOperation);
                end = start < 0 ? -1 : Parse(endOperation);
                if (start < 0 || end < 0)
                    return;
                if (_values[start].IsVaried || _values[end].IsVaried)
                {
                    Unsupported(endOperation.Syntax, "a loop bound that depends on a differentiable value");
                    return;
                }
            }

            // The region: one parameter per input, the loop variable first.
            _loopNumber++;
            string name = RegionPrefix + "Loop" + _loopNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var itemSlots = new Dictionary<ISymbol, int>(SymbolEqualityComparer.Default);
            var elements = new Dictionary<ILocalSymbol, (string Collection, int Index)>(SymbolEqualityComparer.Default);
            var region = new BodyParser(this, new RegionScope(index, itemSlots, Elements: elements), name);
            var parameters = new List<MethodParameter>();
            var used = new HashSet<string>(StringComparer.Ordinal) { "tape", "gradients", "dOutput", indexName };
            if (eachVariable is not null)
                used.Add(eachVariable.Name);
            string Fresh(string hint) => FreshName(used, hint);
            parameters.Add(new MethodParameter(indexName, "int", ValueKind.Other, false, null));
            int indexValue = region.BindRegionInput(index, indexName, "int", ValueKind.Other, null, varied: false, isParameter: false, valueType: true);
            if (eachSublayer is not null)
                elements[eachVariable!] = (eachSublayer.Name, indexValue); // block is Blocks[i]
            var loopInputs = new List<LoopInput> { new(LoopInputKind.Index, -1) };
            var operands = new List<int> { start, end };
            var calleeParameters = new List<MethodParameter>
            {
                new("start", "int", ValueKind.Other, false, null),
                new("end", "int", ValueKind.Other, false, null),
            };
            var carriedPositions = new List<int>();
            foreach (var (symbol, kind, outer) in inputs)
            {
                var value = _values[outer];
                string parameterName;
                ValueKind parameterKind;
                string typeName;
                Shape? shape;
                bool varied;
                if (kind == LoopInputKind.Item)
                {
                    var itemType = Symbols.SequenceItem(SymbolType(symbol))!;
                    parameterKind = Symbols.KindOf(itemType, _element);
                    typeName = Symbols.Display(itemType);
                    parameterName = eachVariable is not null && SymbolEqualityComparer.Default.Equals(symbol, eachSequence)
                        ? eachVariable.Name
                        : Fresh(symbol.Name + Planning.MethodPlan.Pascal(indexName));
                    shape = Symbols.DeclaredShape(itemType, symbol.GetAttributes(), parameterKind);
                    varied = value.Kind == ValueKind.Sequence && value.IsVaried;
                    itemSlots[symbol] = parameters.Count;
                }
                else
                {
                    // A sequence read other than by element (xs.Count): passed as is, never differentiated in the body.
                    parameterKind = value.Kind == ValueKind.Sequence ? ValueKind.Other : value.Kind;
                    typeName = value.TypeName;
                    parameterName = Fresh(symbol.Name);
                    shape = value.Shape;
                    // A carried variable varies from the second iteration on, whatever its first value.
                    varied = parameterKind != ValueKind.Other && (kind == LoopInputKind.Carried || value.IsVaried);
                }
                bool differentiable = parameterKind is ValueKind.Matrix or ValueKind.Scalar && varied;
                if (kind == LoopInputKind.Carried)
                    carriedPositions.Add(parameters.Count);
                parameters.Add(new MethodParameter(parameterName, typeName, parameterKind, differentiable, shape));
                loopInputs.Add(new LoopInput(kind, operands.Count));
                calleeParameters.Add(new MethodParameter(parameterName, value.TypeName, value.Kind,
                    differentiable && value.Kind is ValueKind.Matrix or ValueKind.Scalar or ValueKind.Sequence && value.IsVaried, value.Shape));
                operands.Add(outer);
                if (kind != LoopInputKind.Item)
                    region.BindRegionInput(symbol, parameterName, typeName, parameterKind, shape, varied, symbol is IParameterSymbol, value.IsValueType);
                else
                    region.BindItem(symbol, parameterName, typeName, parameterKind, shape, varied,
                        SymbolEqualityComparer.Default.Equals(symbol, eachSequence) ? eachVariable : null);
            }

            // The next iteration reads what this one updated: every member the body updates counts as updated from its start.
            foreach (var member in StateMembersOf(loopBody))
                region.Updated(member);
            region._emitted = emits.ToDictionary(e => e, _ => -1, (IEqualityComparer<ILocalSymbol>)SymbolEqualityComparer.Default);
            var model = region.RunRegion(loopBody, name, parameters, carriedPositions, assigned, emits, whileCondition);
            _updated.UnionWith(region._updated);
            foreach (var problem in region._problems)
                _problems.Add(problem);
            if (model is null)
            {
                if (!region._problems.Any(p => !IsWarning(p.Id)))
                    Unsupported(loop.Syntax, "a loop body LayerGen could not read");
                return;
            }
            _regions.Add(model);
            _regionSpans[name] = region._spans;
            foreach (var nested in region._regionSpans)
                _regionSpans[nested.Key] = nested.Value;

            // The loop and its results: each assigned variable is rebound to its value after the loop.
            int handle = NewValue(ValueKind.Other, "loop", Camel(name), null, true);
            var facts = new LoopFacts(name, indexName, inclusive, loopInputs.ToEquatableArray(), carriedPositions.ToEquatableArray(), header,
                emits.Select(e => e.Name).ToEquatableArray(), While: whileCondition is not null);
            var callee = new ForwardCallee(CalleeKind.Region, "", name, Symbols.TapeName(name), false, calleeParameters.ToEquatableArray(),
                Symbols.LayerShapeSymbols(_method.ContainingType));
            _instructions.Add(new Instruction(handle, OpKind.Loop, operands.ToEquatableArray(), Call: callee, Text: name,
                Source: header, Statement: header, Line: LineOf(loop.Syntax), Loop: facts));
            _spans[handle] = SpanOf(loop.Syntax);
            for (int k = 0; k < assigned.Count; k++)
            {
                var symbol = assigned[k];
                var initial = _values[inputs[k].Outer];
                // A counter stays a value nothing differentiates (a constant, readable by later constants and bounds).
                int result = NewValue(initial.Kind, initial.TypeName, symbol.Name, initial.Shape, initial.Kind != ValueKind.Other, initial.IsValueType);
                _instructions.Add(new Instruction(result, OpKind.LoopResult, new[] { handle }.ToEquatableArray(), Axis: k,
                    Source: symbol.Name, Statement: header, Line: LineOf(loop.Syntax)));
                _spans[result] = SpanOf(loop.Syntax);
                if (symbol is ILocalSymbol local)
                    _locals[local] = result;
                else if (symbol is IParameterSymbol parameter)
                    _current[parameter] = result;
            }
            // Each output list: the items of every iteration, in order.
            for (int e = 0; e < emits.Count; e++)
            {
                var item = model.Body!.Values[model.Body.AllResults[assigned.Count + e]];
                int result = NewValue(ValueKind.Sequence, $"global::System.Collections.Generic.IReadOnlyList<{item.TypeName}>", emits[e].Name, null, item.IsVaried);
                _instructions.Add(new Instruction(result, OpKind.LoopResult, new[] { handle }.ToEquatableArray(), Axis: assigned.Count + e,
                    Source: emits[e].Name, Statement: header, Line: LineOf(loop.Syntax)));
                _spans[result] = SpanOf(loop.Syntax);
                _outputLists[emits[e]] = result;
                _locals[emits[e]] = result;
            }
        }

        private int _loopNumber;

        /// <summary>Parses the loop body as a region and returns its model, or null when it has errors.</summary>
        private ForwardMethodModel? RunRegion(IOperation loopBody, string name, List<MethodParameter> parameters, List<int> carried, List<ISymbol> assigned,
            List<ILocalSymbol> emits, IOperation? whileCondition = null)
        {
            int result = -1;
            bool returned = false;
            ParseStatements(new[] { loopBody }, ref result, ref returned);
            if (_problems.Any(p => !IsWarning(p.Id)))
                return null;

            // The results: each assigned variable's value at the end of the body.
            for (int k = 0; k < assigned.Count; k++)
            {
                var symbol = assigned[k];
                int value = symbol switch
                {
                    ILocalSymbol local => _locals.TryGetValue(local, out int v) ? v : -1,
                    IParameterSymbol parameter => _current.TryGetValue(parameter, out int v) ? v : -1,
                    _ => -1,
                };
                if (value < 0)
                    return null;
                _results.Add(value);
            }
            var elements = new List<MethodParameter>();
            foreach (int position in carried)
            {
                var p = parameters[position];
                elements.Add(new MethodParameter(p.Name, p.TypeName, p.Kind, true, p.Shape));
            }
            // Then this iteration's item of each output list.
            foreach (var list in emits)
            {
                if (_emitted![list] is not (>= 0 and var item))
                    return null;
                _results.Add(item);
                elements.Add(new MethodParameter(list.Name + "Item", _values[item].TypeName, ValueKind.Matrix, true, null));
            }
            // A while loop: last, the condition after this iteration (on the values the iteration leaves).
            if (whileCondition is not null)
            {
                int again = Condition(whileCondition);
                if (again < 0 || _problems.Any(p => !IsWarning(p.Id)))
                    return null;
                _results.Add(again);
                elements.Add(new MethodParameter("again", "bool", ValueKind.Other, false, null));
            }
            return RegionModel(name, parameters, elements, carried, null);
        }

        /// <summary>
        /// The model of a region this parser parsed (a loop body or a branch arm): its values and instructions, its
        /// results (<see cref="_results"/>) as the returned value or tuple <paramref name="elements"/>, private.
        /// </summary>
        private ForwardMethodModel RegionModel(string name, List<MethodParameter> parameters, List<MethodParameter> elements, List<int> carried,
            (string Header, string Arm)? armOf)
        {
            var single = elements.Count == 1 ? elements[0] : null;
            var body = new ForwardBody(
                _values.ToEquatableArray(),
                _instructions.ToEquatableArray(),
                _results[0],
                _reserved.OrderBy(s => s, StringComparer.Ordinal).ToEquatableArray(),
                single is null ? _results.ToEquatableArray() : default);
            return new ForwardMethodModel(
                _layer!,
                name,
                _method.IsStatic,
                "private",
                parameters.ToEquatableArray(),
                single?.Kind ?? ValueKind.Other,
                single?.Shape,
                body,
                single is null ? elements.ToEquatableArray() : default,
                _regions.ToEquatableArray(),
                IsRegion: true,
                Carried: carried.ToEquatableArray(),
                ArmOf: armOf);
        }

        /// <summary><paramref name="hint"/>, or <paramref name="hint"/>2, 3, … : the first that <paramref name="used"/> does not hold yet (then it does).</summary>
        private static string FreshName(HashSet<string> used, string hint)
        {
            if (used.Add(hint))
                return hint;
            for (int k = 2; ; k++)
            {
                if (used.Add(hint + k))
                    return hint + k;
            }
        }

        /// <summary>Binds an outer variable (or the loop variable) to a new input of this region.</summary>
        private int BindRegionInput(ISymbol? symbol, string name, string type, ValueKind kind, Shape? shape, bool varied, bool isParameter, bool valueType = false)
        {
            int id = NewValue(kind, type, name, shape, varied, valueType);
            _instructions.Add(new Instruction(id, OpKind.Input, EquatableArray<int>.Empty, Text: name));
            if (isParameter && symbol is IParameterSymbol parameter)
            {
                _inputs[parameter] = id;
                _current[parameter] = id;
            }
            else if (symbol is ILocalSymbol local)
            {
                _locals[local] = id;
            }
            else if (symbol is IParameterSymbol p)
            {
                _inputs[p] = id;
                _current[p] = id;
            }
            return id;
        }

        /// <summary>Binds <c>xs[t]</c> to a new input of this region.</summary>
        private void BindItem(ISymbol sequence, string name, string type, ValueKind kind, Shape? shape, bool varied, ILocalSymbol? variable)
        {
            int id = NewValue(kind, type, name, shape, varied);
            _instructions.Add(new Instruction(id, OpKind.Input, EquatableArray<int>.Empty, Text: name));
            _region!.Items[sequence] = id;
            if (variable is not null)
                _locals[variable] = id; // foreach (var x in xs): x is the element
        }

        /// <summary><c>xs[t]</c> inside a loop body: the region's element input.</summary>
        private bool TryItem(IPropertyReferenceOperation indexer, out int id)
        {
            id = -1;
            if (_region is null || indexer.Instance is not (ILocalReferenceOperation or IParameterReferenceOperation) || indexer.Arguments.Length != 1)
                return false;
            var sequence = Reference(indexer.Instance);
            return Unwrap(indexer.Arguments[0].Value) is ILocalReferenceOperation l && SymbolEqualityComparer.Default.Equals(l.Local, _region.Index)
                && _region.Items.TryGetValue(sequence, out id);
        }

        private bool TryOuterValue(ISymbol symbol, out int value)
        {
            value = -1;
            return symbol switch
            {
                ILocalSymbol local => _locals.TryGetValue(local, out value),
                IParameterSymbol parameter => _current.TryGetValue(parameter, out value),
                _ => false,
            };
        }

        private static ISymbol Reference(IOperation operation) => operation switch
        {
            ILocalReferenceOperation l => l.Local,
            IParameterReferenceOperation p => p.Parameter,
            _ => throw new ArgumentException("not a local or parameter reference", nameof(operation)),
        };

        private static ITypeSymbol SymbolType(ISymbol symbol) => symbol switch
        {
            ILocalSymbol l => l.Type,
            IParameterSymbol p => p.Type,
            _ => throw new ArgumentException("not a local or parameter", nameof(symbol)),
        };

        private static IOperation Unwrap(IOperation operation)
        {
            while (operation is IConversionOperation { IsImplicit: true } c)
                operation = c.Operand;
            return operation;
        }

        private static string HeaderText(IForLoopOperation loop) =>
            loop.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.ForStatementSyntax f
                ? $"for ({f.Declaration}; {f.Condition}; {string.Join(", ", f.Incrementors)})"
                : "for (…)";

        /// <summary>
        /// <c>for (int t = start; t &lt; end; t++)</c> (or <c>t &lt;= end</c>, <c>++t</c>, <c>t += 1</c>): the loop variable,
        /// the bounds, and whether the end is included; otherwise why not.
        /// </summary>
        private static bool CountedHeader(IForLoopOperation loop, out ILocalSymbol index, out IOperation start, out IOperation end, out bool inclusive, out string why)
        {
            index = null!;
            start = null!;
            end = null!;
            inclusive = false;
            if (loop.Before.Length != 1 || loop.Before[0] is not IVariableDeclarationGroupOperation { Declarations.Length: 1 } group
                || group.Declarations[0].Declarators.Length != 1
                || group.Declarations[0].Declarators[0] is not { Symbol.Type.SpecialType: SpecialType.System_Int32 } declarator
                || (declarator.Initializer ?? group.Declarations[0].Initializer) is not { } initializer)
            {
                why = "declare one int loop variable with a start value";
                return false;
            }
            index = declarator.Symbol;
            start = initializer.Value;
            if (loop.Condition is not IBinaryOperation { OperatorKind: BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual } condition
                || Unwrap(condition.LeftOperand) is not ILocalReferenceOperation left || !SymbolEqualityComparer.Default.Equals(left.Local, index))
            {
                why = $"the condition must be '{index.Name} < end' or '{index.Name} <= end'";
                return false;
            }
            inclusive = condition.OperatorKind == BinaryOperatorKind.LessThanOrEqual;
            end = condition.RightOperand;
            bool step = loop.AtLoopBottom.Length == 1 && (loop.AtLoopBottom[0] is IExpressionStatementOperation { Operation: var bottom } ? bottom : loop.AtLoopBottom[0]) switch
            {
                IIncrementOrDecrementOperation { Kind: OperationKind.Increment, Target: ILocalReferenceOperation t } => SymbolEqualityComparer.Default.Equals(t.Local, index),
                ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Add, Target: ILocalReferenceOperation t, Value.ConstantValue: { HasValue: true, Value: 1 } }
                    => SymbolEqualityComparer.Default.Equals(t.Local, index),
                _ => false,
            };
            if (!step)
            {
                why = $"the step must be '{index.Name}++'";
                return false;
            }
            foreach (var node in end.DescendantsAndSelf())
            {
                if (node is ILocalReferenceOperation l && SymbolEqualityComparer.Default.Equals(l.Local, index))
                {
                    why = "the end must not depend on the loop variable";
                    return false;
                }
            }
            why = "";
            return true;
        }
    }
}
