using System;
using System.Collections.Generic;
using System.Linq;
using LayerGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LayerGen.Generator.Parsing;

// Branches: `if`/`else`, `?:` and an early `return` become one Branch instruction whose two arms are regions, methods of
// their own (DESIGN.md §7), exactly as a loop body is. Both arms take the same parameters (the outer values either arm
// reads or assigns) and return the same results (the variables either arm assigns, the value of a `?:`, or the value an
// early return returns); an arm that leaves a variable alone returns it as it came. The training forward evaluates the
// condition once, records it and calls the arm it picks; the backward calls that arm's backward. The condition may read
// anything, forward values included: it is never differentiated (the derivative is that of the path taken).
internal static partial class ForwardParser
{
    private sealed partial class BodyParser
    {
        private int _branchNumber;

        /// <summary>While a condition is rendered: its sub-expressions already parsed as values (read as holes).</summary>
        private Dictionary<IOperation, int>? _conditionValues;

        private enum ArmKind
        {
            /// <summary><c>if (c) { … } else { … }</c>: the results are the outer variables the arms assign.</summary>
            Statement,
            /// <summary><c>c ? a : b</c>: the result is the arm's value.</summary>
            Expression,
            /// <summary><c>if (c) return a; … return b;</c>: the result is what the arm returns; the rest of the body is the else arm.</summary>
            Return,
        }

        /// <summary>
        /// <c>if (c) …</c>: a branch over the two arms. When an arm returns, the statements after the <c>if</c> are the
        /// else arm (<paramref name="rest"/>) and the branch's value is the method's result.
        /// </summary>
        /// <returns>Whether <paramref name="rest"/> was consumed (an early return).</returns>
        private bool IfStatement(IConditionalOperation branch, IReadOnlyList<IOperation> rest, ref int result, ref bool returned)
        {
            string header = Normalize($"if ({branch.Condition.Syntax})");
            _statement = header;
            var thenArm = new[] { branch.WhenTrue };
            var elseArm = branch.WhenFalse is null ? new List<IOperation>() : new List<IOperation> { branch.WhenFalse };
            bool returns = thenArm.Concat(elseArm).Any(arm => arm.DescendantsAndSelf().Any(o => o is IReturnOperation));
            if (!returns)
            {
                Branch(branch, branch.Condition, thenArm, elseArm, header, ArmKind.Statement);
                return false;
            }
            returned = true;
            if (_region is { Returns: false })
            {
                Unsupported(branch.Syntax, "'return' inside a loop body (return after the loop)");
                return true;
            }
            if (_tuple is not null)
            {
                Unsupported(branch.Syntax, "an early 'return' from a forward that returns a tuple (assign the elements in the arms, and return after the 'if')");
                return true;
            }
            elseArm.AddRange(rest);
            int start = _values.Count;
            result = Branch(branch, branch.Condition, thenArm, elseArm, header, ArmKind.Return);
            if (result >= 0)
                Rename(result, start, _values[result].Kind == ValueKind.Scalar ? "loss" : "output");
            return true;
        }

        /// <summary><c>c ? a : b</c> on matrices or scalars that depend on something differentiable.</summary>
        private int ConditionalExpression(IConditionalOperation conditional)
        {
            string header = Normalize($"{conditional.Condition.Syntax} ? {conditional.WhenTrue.Syntax} : {conditional.WhenFalse!.Syntax}");
            if (Symbols.KindOf(conditional.Type, _element) is not (ValueKind.Matrix or ValueKind.Scalar))
                return Unsupported(conditional.Syntax, $"a conditional expression of type '{conditional.Type?.ToDisplayString()}' that depends on a differentiable value");
            return Branch(conditional, conditional.Condition, new[] { conditional.WhenTrue }, new[] { conditional.WhenFalse! }, header, ArmKind.Expression);
        }

        /// <summary>
        /// The branch: its condition (a value nothing differentiates), its two arms as regions, and one result per
        /// variable the arms assign (or the arms' value), rebound after it.
        /// </summary>
        /// <returns>The first result (the value of a <c>?:</c> or of an early return), or −1.</returns>
        private int Branch(IOperation branch, IOperation conditionOperation, IReadOnlyList<IOperation> thenArm, IReadOnlyList<IOperation> elseArm,
            string header, ArmKind kind)
        {
            int condition = Condition(conditionOperation);
            if (condition < 0)
                return -1;

            // What the arms read and assign from outside them.
            var arms = thenArm.Concat(elseArm).ToList();
            var declaredInside = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            foreach (var node in arms.SelectMany(a => a.DescendantsAndSelf()))
            {
                if (node is IVariableDeclaratorOperation declarator)
                    declaredInside.Add(declarator.Symbol);
                else if (node is ILoopOperation loop)
                    declaredInside.UnionWith(loop.Locals);
                else if (node is IBlockOperation block)
                    declaredInside.UnionWith(block.Locals);
            }
            bool Outer(ISymbol symbol) => !declaredInside.Contains(symbol);
            var reads = new List<ISymbol>();
            var assigned = new List<ISymbol>();
            var items = new List<(ISymbol Sequence, int Value)>();
            bool ok = true;
            foreach (var node in arms.SelectMany(a => a.DescendantsAndSelf()))
            {
                switch (node)
                {
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation or IParameterReferenceOperation } a when Outer(Reference(a.Target)):
                        if (!assigned.Contains(Reference(a.Target), SymbolEqualityComparer.Default))
                            assigned.Add(Reference(a.Target));
                        break;
                    case ICompoundAssignmentOperation { Target: ILocalReferenceOperation or IParameterReferenceOperation } c when Outer(Reference(c.Target)):
                        if (!assigned.Contains(Reference(c.Target), SymbolEqualityComparer.Default))
                            assigned.Add(Reference(c.Target));
                        break;
                    case IIncrementOrDecrementOperation { Target: ILocalReferenceOperation or IParameterReferenceOperation } step when Outer(Reference(step.Target)):
                        // A counter (k++): assigned like any other; a kind other than an int counter is refused below.
                        if (!assigned.Contains(Reference(step.Target), SymbolEqualityComparer.Default))
                            assigned.Add(Reference(step.Target));
                        break;
                    case IPropertyReferenceOperation { Property.IsIndexer: true } indexer when TryItem(indexer, out int item):
                    {
                        var sequence = Reference(indexer.Instance!);
                        if (!items.Any(x => SymbolEqualityComparer.Default.Equals(x.Sequence, sequence)))
                            items.Add((sequence, item));
                        break;
                    }
                }
                // Every other mention of an outer variable is a read; xs[t] of the enclosing loop is read as its element (above).
                bool indexedItem = node.Parent is IPropertyReferenceOperation { Property.IsIndexer: true } parent && parent.Instance == node
                    && TryItem(parent, out _);
                if (node is ILocalReferenceOperation or IParameterReferenceOperation && !indexedItem)
                {
                    var symbol = Reference(node);
                    if (Outer(symbol) && !reads.Contains(symbol, SymbolEqualityComparer.Default))
                        reads.Add(symbol);
                }
            }
            if (!ok)
                return -1;

            // The inputs: each variable an arm assigns (its value before, if it has one), then each one an arm reads.
            // An early return ends the method: what its arms assign is local to them.
            var inputs = new List<(ISymbol? Symbol, LoopInputKind Kind, int Outer)>();
            var results = new List<(ISymbol? Symbol, int Input)>();
            if (kind == ArmKind.Statement)
            {
                foreach (var symbol in assigned)
                {
                    if (!TryOuterValue(symbol, out int value))
                    {
                        var type = SymbolType(symbol);
                        if (Symbols.KindOf(type, _element) is not (ValueKind.Matrix or ValueKind.Scalar))
                        {
                            Unsupported(branch.Syntax, $"assigning '{symbol.Name}' of type '{type.ToDisplayString()}' inside a branch (only matrices and scalars of T may be assigned there)");
                            return -1;
                        }
                        results.Add((symbol, -1)); // declared before the branch, defined by both arms
                        continue;
                    }
                    if (_values[value].Kind is not (ValueKind.Matrix or ValueKind.Scalar) && !IsCounter(value))
                    {
                        Unsupported(branch.Syntax, $"assigning '{symbol.Name}' of type '{_values[value].TypeName}' inside a branch (only matrices, scalars of T and int counters may be assigned there)");
                        return -1;
                    }
                    results.Add((symbol, inputs.Count));
                    inputs.Add((symbol, LoopInputKind.Carried, value));
                }
                if (results.Count == 0)
                {
                    Unsupported(branch.Syntax, "an 'if' that assigns no variable declared before it (its work would be lost)");
                    return -1;
                }
            }
            else
            {
                results.Add((null, -1));
            }
            foreach (var symbol in reads)
            {
                if (inputs.Any(x => SymbolEqualityComparer.Default.Equals(x.Symbol, symbol)) || results.Any(x => SymbolEqualityComparer.Default.Equals(x.Symbol, symbol)))
                    continue;
                if (!TryOuterValue(symbol, out int value))
                {
                    if (kind == ArmKind.Statement || !assigned.Contains(symbol, SymbolEqualityComparer.Default))
                    {
                        Unsupported(branch.Syntax, $"use of unassigned local '{symbol.Name}'");
                        return -1;
                    }
                    continue; // assigned in the arm before it is read
                }
                if (_values[value].Kind == ValueKind.Sequence && _values[value].IsVaried)
                {
                    Unsupported(branch.Syntax, $"the differentiable sequence '{symbol.Name}' read inside a branch other than as the element of the enclosing loop's step (loop over it outside the branch, or mark it [NoGrad])");
                    return -1;
                }
                inputs.Add((symbol, LoopInputKind.Value, value));
            }
            var itemInputs = new Dictionary<int, ISymbol>();
            foreach (var (sequence, value) in items)
            {
                itemInputs[inputs.Count] = sequence;
                inputs.Add((null, LoopInputKind.Value, value));
            }

            // The arms: the same parameters, one per input.
            _branchNumber++;
            string name = RegionPrefix + "If" + _branchNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var used = new HashSet<string>(StringComparer.Ordinal) { "tape", "gradients", "dOutput", "condition" };
            string Fresh(string hint) => FreshName(used, hint);
            var parameters = new List<MethodParameter>();
            var loopInputs = new List<LoopInput>();
            var operands = new List<int> { condition };
            var calleeParameters = new List<MethodParameter> { new("condition", "bool", ValueKind.Other, false, null) };
            for (int p = 0; p < inputs.Count; p++)
            {
                var (symbol, inputKind, outer) = inputs[p];
                var value = _values[outer];
                string parameterName = Fresh(symbol?.Name ?? (Camel(itemInputs[p].Name) + "Item"));
                // A sequence read as a whole (xs.Count) is passed as is, never differentiated in an arm.
                var parameterKind = value.Kind == ValueKind.Sequence ? ValueKind.Other : value.Kind;
                bool differentiable = parameterKind is ValueKind.Matrix or ValueKind.Scalar && value.IsVaried;
                parameters.Add(new MethodParameter(parameterName, value.TypeName, parameterKind, differentiable, value.Shape));
                calleeParameters.Add(new MethodParameter(parameterName, value.TypeName, value.Kind, differentiable, value.Shape));
                loopInputs.Add(new LoopInput(inputKind, operands.Count));
                operands.Add(outer);
            }
            var carried = results.Select(r => r.Input).ToList();

            ForwardMethodModel? Arm(IReadOnlyList<IOperation> statements, string armName, string which, out BodyParser parser)
            {
                parser = new BodyParser(this, new RegionScope(_region?.Index, new Dictionary<ISymbol, int>(SymbolEqualityComparer.Default), kind == ArmKind.Return), armName);
                for (int p = 0; p < inputs.Count; p++)
                {
                    var (symbol, _, outer) = inputs[p];
                    var parameter = parameters[p];
                    if (symbol is not null)
                        parser.BindRegionInput(symbol, parameter.Name, parameter.TypeName, parameter.Kind, parameter.Shape, _values[outer].IsVaried, symbol is IParameterSymbol, _values[outer].IsValueType);
                    else
                        parser.BindItem(itemInputs[p], parameter.Name, parameter.TypeName, parameter.Kind, parameter.Shape, _values[outer].IsVaried, null);
                }
                var model = parser.RunArm(statements, armName, parameters, carried, results.Select(r => r.Symbol).ToList(), kind, (header, which));
                foreach (var problem in parser._problems)
                    _problems.Add(problem);
                return model;
            }
            var thenModel = Arm(thenArm, name + "Then", "then", out var thenParser);
            ForwardMethodModel? elseModel = null;
            BodyParser? elseParser = null;
            if (thenModel is not null)
                elseModel = Arm(elseArm, name + "Else", "else", out elseParser);
            if (thenModel is null || elseModel is null)
            {
                if (!_problems.Any(p => !IsWarning(p.Id)))
                    Unsupported(branch.Syntax, "a branch LayerGen could not read");
                return -1;
            }
            _regions.Add(thenModel);
            _regions.Add(elseModel);
            _updated.UnionWith(thenParser._updated);
            _updated.UnionWith(elseParser!._updated);
            CollectSpans(thenModel.Name, thenParser);
            CollectSpans(elseModel.Name, elseParser!);

            // The branch and its results: each assigned variable is rebound to its value after the branch.
            var thenResults = thenModel.Body!.AllResults;
            var elseResults = elseModel.Body!.AllResults;
            bool Varied(int k) => thenModel.Body.Values[thenResults[k]].IsVaried || elseModel.Body.Values[elseResults[k]].IsVaried;
            int handle = NewValue(ValueKind.Other, "branch", Camel(name), null, Enumerable.Range(0, results.Count).Any(Varied));
            var facts = new BranchFacts(thenModel.Name, elseModel.Name, loopInputs.ToEquatableArray(), carried.ToEquatableArray(), header);
            var callee = new ForwardCallee(CalleeKind.Region, "", thenModel.Name, Symbols.TapeName(thenModel.Name), false, calleeParameters.ToEquatableArray(),
                Symbols.LayerShapeSymbols(_method.ContainingType));
            _instructions.Add(new Instruction(handle, OpKind.Branch, operands.ToEquatableArray(), Call: callee, Text: name,
                Source: header, Statement: header, Line: LineOf(branch.Syntax), Branch: facts));
            _spans[handle] = SpanOf(branch.Syntax);
            int first = -1;
            for (int k = 0; k < results.Count; k++)
            {
                var symbol = results[k].Symbol;
                var element = thenModel.Body.Values[thenResults[k]];
                int before = results[k].Input >= 0 ? inputs[results[k].Input].Outer : -1;
                var shape = before >= 0 ? _values[before].Shape : null;
                int result = NewValue(element.Kind, element.TypeName, symbol?.Name ?? "chosen", shape, Varied(k), element.IsValueType);
                _instructions.Add(new Instruction(result, OpKind.LoopResult, new[] { handle }.ToEquatableArray(), Axis: k,
                    Source: symbol?.Name ?? header, Statement: header, Line: LineOf(branch.Syntax)));
                _spans[result] = SpanOf(branch.Syntax);
                if (first < 0)
                    first = result;
                if (symbol is ILocalSymbol local)
                    _locals[local] = result;
                else if (symbol is IParameterSymbol parameter)
                    _current[parameter] = result;
            }
            return first;
        }

        private void CollectSpans(string name, BodyParser parser)
        {
            _regionSpans[name] = parser._spans;
            foreach (var nested in parser._regionSpans)
                _regionSpans[nested.Key] = nested.Value;
        }

        /// <summary>Parses an arm as a region and returns its model, or null when it has errors.</summary>
        private ForwardMethodModel? RunArm(IReadOnlyList<IOperation> statements, string name, List<MethodParameter> parameters, List<int> carried,
            List<ISymbol?> assigned, ArmKind kind, (string Header, string Arm) armOf)
        {
            var elements = new List<MethodParameter>();
            if (kind == ArmKind.Expression)
            {
                _statement = armOf.Header;
                int start = _values.Count;
                int value = Parse(statements[0]);
                if (value < 0 || _problems.Any(p => !IsWarning(p.Id)))
                    return null;
                Rename(value, start, "chosen");
                _results.Add(value);
            }
            else
            {
                int result = -1;
                bool returned = false;
                ParseStatements(statements, ref result, ref returned);
                if (_problems.Any(p => !IsWarning(p.Id)))
                    return null;
                if (kind == ArmKind.Return)
                {
                    if (!returned || result < 0)
                    {
                        Unsupported(statements.Count > 0 ? statements[0].Syntax : _method.DeclaringSyntaxReferences[0].GetSyntax(), $"an arm of '{armOf.Header}' that does not end with a 'return' on every path");
                        return null;
                    }
                    _results.Add(result);
                }
                else
                {
                    foreach (var symbol in assigned)
                    {
                        int value = symbol switch
                        {
                            ILocalSymbol local => _locals.TryGetValue(local, out int v) ? v : -1,
                            IParameterSymbol parameter => _current.TryGetValue(parameter, out int v) ? v : -1,
                            _ => -1,
                        };
                        if (value < 0)
                        {
                            Unsupported(statements.Count > 0 ? statements[0].Syntax : _method.DeclaringSyntaxReferences[0].GetSyntax(),
                                $"'{symbol?.Name}' assigned in one arm of '{armOf.Header}' only (give it a value before the 'if', or assign it in both arms)");
                            return null;
                        }
                        _results.Add(value);
                    }
                }
            }
            for (int k = 0; k < _results.Count; k++)
            {
                var value = _values[_results[k]];
                string elementName = assigned[k]?.Name ?? (kind == ArmKind.Return ? (value.Kind == ValueKind.Scalar ? "loss" : "output") : "chosen");
                elements.Add(new MethodParameter(elementName, value.TypeName, value.Kind, true, carried[k] >= 0 ? parameters[carried[k]].Shape : null));
            }
            return RegionModel(name, parameters, elements, carried, armOf);
        }

        /// <summary>
        /// A branch's condition: a value nothing differentiates. Its sub-expressions of type <c>Matrix&lt;T&gt;</c> or
        /// <c>T</c> that depend on differentiable values (<c>Ops.Sum(z)</c>, a loss so far) are parsed as forward values
        /// and read by the condition's text; the rest is rendered as written.
        /// </summary>
        private int Condition(IOperation condition)
        {
            if (IsConstant(condition))
                return Constant(condition);
            var parsed = new Dictionary<IOperation, int>();
            if (!CollectValues(condition, parsed))
                return -1;
            _conditionValues = parsed;
            try
            {
                if (!IsConstantTree(condition) || !Renderable(condition))
                    return Unsupported(condition.Syntax, $"the condition '{Normalize(condition.Syntax.ToString())}' (a condition may compare values and call methods that return no matrix)");
                return Constant(condition);
            }
            finally
            {
                _conditionValues = null;
            }
        }
    }
}
