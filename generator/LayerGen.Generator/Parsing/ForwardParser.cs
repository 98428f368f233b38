using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using LayerGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace LayerGen.Generator.Parsing;

/// <summary>
/// Turns a <c>[Forward]</c> method (its symbol and the <c>IOperation</c> tree of its body) into the equatable IR, or
/// into a list of problems. The generator and the analyzer both call <see cref="Parse"/>, so they cannot disagree.
/// </summary>
internal static partial class ForwardParser
{
    /// <summary>
    /// The generator's transform: the model, or null when the target is not a method. The model of a method whose
    /// dependencies did not change since the last compilation is served by <see cref="ModelCache"/> without binding.
    /// </summary>
    public static ForwardMethodModel? ParseForGenerator(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not IMethodSymbol method || context.TargetNode is not MethodDeclarationSyntax syntax)
            return null;
        SyntaxNode? bodyNode = (SyntaxNode?)syntax.Body ?? syntax.ExpressionBody;
        var semanticModel = context.SemanticModel;
        return ModelCache.GetOrParse(semanticModel.Compilation, syntax, bodyNode,
            reads => Bind(method, bodyNode, semanticModel, reads, cancellationToken), cancellationToken);
    }

    /// <summary>Binds the body and parses it, recording the syntax read outside the declarations into <paramref name="reads"/>.</summary>
    private static ForwardMethodModel? Bind(IMethodSymbol method, SyntaxNode? bodyNode, SemanticModel semanticModel, BodyReads? reads,
        CancellationToken cancellationToken)
    {
        try
        {
            var body = bodyNode is null ? null : semanticModel.GetOperation(bodyNode, cancellationToken);
            return Parse(method, body, cancellationToken, reads: reads).Model;
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception)
        {
            // Half-typed code must never break the build: a method we cannot read is simply not generated
            // (the analyzer, which runs the same parser, reports what it can). A failed parse is not cached.
            reads?.Unreadable();
            return null;
        }
    }

    /// <summary>Parses one forward method.</summary>
    /// <param name="method">The method symbol.</param>
    /// <param name="body">Its body operation (block, arrow body or <c>IMethodBodyOperation</c>), or null.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <param name="calls">When not null, receives every <c>[Forward]</c> method called and where (for LG0006).</param>
    /// <param name="reads">When not null, receives the syntax read outside the declarations (for <see cref="ModelCache"/>).</param>
    public static ParseResult Parse(IMethodSymbol method, IOperation? body, CancellationToken cancellationToken,
        List<(IMethodSymbol Callee, Location Location)>? calls = null, BodyReads? reads = null)
    {
        SharedParse.ParsesByAssembly?.AddOrUpdate(method.ContainingAssembly?.Name ?? "", 1, static (_, n) => n + 1);
        var scope = new CalleeShapes { Reads = reads };
        scope.InProgress.Add(method.OriginalDefinition);
        var parser = new BodyParser(method, cancellationToken, calls, scope);
        return parser.Run(body);
    }

    /// <summary>
    /// The callees' inferred return shapes of one top-level parse (one transform or one analyzer callback): each callee
    /// body is parsed at most once, and a cycle or a deep chain of calls ends in an unknown shape instead of recursing.
    /// </summary>
    private sealed class CalleeShapes
    {
        /// <summary>How many callee bodies deep inference follows (a deeper chain gets unknown shapes).</summary>
        public const int MaxDepth = 8;

        public Dictionary<IMethodSymbol, CalleeFacts> Cache { get; } = new(SymbolEqualityComparer.Default);

        /// <summary>The methods being parsed now (the top-level method and the callees on the current chain).</summary>
        public HashSet<IMethodSymbol> InProgress { get; } = new(SymbolEqualityComparer.Default);

        public int Depth { get; set; }

        /// <summary>The generator's record of the bodies read (the getters inlined, the callees parsed), or null.</summary>
        public BodyReads? Reads { get; init; }
    }

    /// <summary>A callee's facts: it has errors (nothing is generated for it); its inferred result shape, if any.</summary>
    private sealed record CalleeFacts(bool HasErrors, Shape? InferredShape)
    {
        public static readonly CalleeFacts Unknown = new(false, null);
    }

    private sealed partial class BodyParser
    {
        private readonly IMethodSymbol _method;
        private readonly CancellationToken _cancellationToken;
        private readonly List<(IMethodSymbol, Location)>? _calls;
        private readonly CalleeShapes _scope;
        private readonly List<Problem> _problems = new();
        private readonly List<ValueInfo> _values = new();
        private readonly List<Instruction> _instructions = new();
        private readonly Dictionary<ILocalSymbol, int> _locals = new(SymbolEqualityComparer.Default);
        private readonly Dictionary<IParameterSymbol, int> _inputs = new(SymbolEqualityComparer.Default);
        /// <summary>The value each parameter holds now: its input value until the body reassigns it (SSA renaming).</summary>
        private readonly Dictionary<IParameterSymbol, int> _current = new(SymbolEqualityComparer.Default);
        /// <summary>Computed properties read so far (their getter is inlined once per method) and those being inlined.</summary>
        private readonly Dictionary<IPropertySymbol, int> _propertyReads = new(SymbolEqualityComparer.Default);
        private readonly HashSet<IPropertySymbol> _inlining = new(SymbolEqualityComparer.Default);
        /// <summary>Scalar members already reported as read as a constant (LG0011, once per member).</summary>
        private readonly HashSet<string> _scalarConstants = new();
        private LayerTypeModel? _layer;
        /// <summary>A tuple-returning method: its elements; and the value of each element once the return is parsed.</summary>
        private EquatableArray<MethodParameter>? _tuple;
        private readonly List<int> _results = new();
        private readonly Dictionary<string, int> _parameterReads = new();
        private readonly Dictionary<int, (string, int, int)> _spans = new();
        private readonly HashSet<string> _reserved = new();
        private readonly Dictionary<IMethodSymbol, RegisteredOps.Registration> _registrations = new(SymbolEqualityComparer.Default);
        private readonly ITypeSymbol? _element;
        private string _statement = "";
        private string _elementText = "float";

        public BodyParser(IMethodSymbol method, CancellationToken cancellationToken, List<(IMethodSymbol, Location)>? calls, CalleeShapes scope)
        {
            _method = method;
            _cancellationToken = cancellationToken;
            _calls = calls;
            _scope = scope;
            _element = Symbols.ElementTypeOf(method);
        }

        public ParseResult Run(IOperation? body)
        {
            var type = _method.ContainingType;
            var location = _method.Locations.FirstOrDefault();
            var layer = Symbols.LayerType(type, _element, _cancellationToken);
            _layer = layer;
            _elementText = layer.ElementType;

            // LG0001: the generated members go into a partial declaration of every containing type.
            if (Symbols.FirstNonPartial(type, _cancellationToken) is { } nonPartial)
            {
                var where = nonPartial.Locations.FirstOrDefault() ?? location;
                Report("LG0001", where, nonPartial.Name, _method.Name);
            }

            // LG0004 / LG0007: the signature.
            bool signatureOk = CheckSignature(location);
            var parameters = Symbols.Parameters(_method, _element);
            var returnKind = Symbols.KindOf(_method.ReturnType, _element);
            _tuple = Symbols.TupleElements(_method.ReturnType, _element);
            var model = new ForwardMethodModel(
                layer,
                _method.Name,
                _method.IsStatic,
                Symbols.AccessibilityText(_method.DeclaredAccessibility),
                parameters,
                returnKind,
                Symbols.ShapeOf(_method.GetReturnTypeAttributes()),
                Body: null,
                ReturnElements: _tuple ?? default);

            if (!signatureOk || body is null)
                return new ParseResult(model, _problems, _spans);

            int result = ParseBody(body);
            bool hasErrors = _problems.Any(p => !IsWarning(p.Id)) || result < 0;
            if (hasErrors)
                return new ParseResult(model, _problems, _spans);

            var forwardBody = new ForwardBody(
                _values.ToEquatableArray(),
                _instructions.ToEquatableArray(),
                result,
                _reserved.OrderBy(s => s, StringComparer.Ordinal).ToEquatableArray(),
                _results.ToEquatableArray());
            return new ParseResult(model with { Body = forwardBody, Regions = _regions.ToEquatableArray() }, _problems, _spans, _regionSpans);
        }

        // ------------------------------------------------------------------ signature

        private bool CheckSignature(Location? location)
        {
            bool ok = true;
            void Invalid(string reason)
            {
                Report("LG0004", location, _method.Name, reason);
                ok = false;
            }

            if (_method.ReturnsVoid)
                Invalid("returns void; it must return Matrix<T>, T or a tuple of them");
            else if (Symbols.KindOf(_method.ReturnType, _element) is ValueKind.Other && Symbols.TupleElements(_method.ReturnType, _element) is null)
                Invalid($"returns '{_method.ReturnType.ToDisplayString()}'; it must return Matrix<T>, T, IReadOnlyList<Matrix<T>> or a tuple of them");
            if (_method.IsAsync)
                Invalid("is async");
            if (_method.IsGenericMethod)
                Invalid("is a generic method; make the containing type generic instead");
            if (_method.ReturnsByRef || _method.ReturnsByRefReadonly)
                Invalid("returns by reference");
            foreach (var parameter in _method.Parameters)
            {
                if (parameter.RefKind != RefKind.None)
                    Invalid($"has a ref, out or in parameter '{parameter.Name}'");
                if (parameter.IsParams)
                    Invalid($"has a params parameter '{parameter.Name}'");
                if (parameter.Name is "tape" or "gradients" or "dOutput")
                    Invalid($"has a parameter named '{parameter.Name}', a name the generated overloads use; rename it");
            }
            if (_method.MethodKind != MethodKind.Ordinary)
                Invalid("is not an ordinary method");
            if (_method.ContainingType.GetMembers(_method.Name).OfType<IMethodSymbol>().Count(Symbols.IsForward) > 1)
                Invalid("is overloaded; [Forward] methods need distinct names because the tape and backward are named after them");

            if (_element is not null && _element is not ITypeParameterSymbol
                && _element.SpecialType is not (SpecialType.System_Single or SpecialType.System_Double))
            {
                Report("LG0007", location, _method.Name, _element.ToDisplayString());
                ok = false;
            }
            return ok;
        }

        // ------------------------------------------------------------------ statements

        private int ParseBody(IOperation body)
        {
            // Every parameter is a source value; differentiable ones start the forward half of activity analysis.
            foreach (var parameter in _method.Parameters)
            {
                var kind = Symbols.KindOf(parameter.Type, _element);
                bool differentiable = kind != ValueKind.Other && !Symbols.HasAttribute(parameter, "NoGradAttribute");
                int id = NewValue(kind, Symbols.Display(parameter.Type), parameter.Name,
                    Symbols.DeclaredShape(parameter, kind), differentiable, parameter.Type.IsValueType);
                _instructions.Add(new Instruction(id, OpKind.Input, EquatableArray<int>.Empty, Text: parameter.Name));
                _inputs[parameter] = id;
                _current[parameter] = id;
                if (parameter.Locations.FirstOrDefault() is { SourceTree: not null } l)
                    _spans[id] = (l.SourceTree.FilePath, l.SourceSpan.Start, l.SourceSpan.Length);
            }

            FindStateMembers(body);
            var statements = body switch
            {
                IMethodBodyOperation m => (m.BlockBody ?? m.ExpressionBody)?.Operations ?? ImmutableArrayEmpty,
                IBlockOperation b => b.Operations,
                _ => System.Collections.Immutable.ImmutableArray.Create(body),
            };

            int result = -1;
            bool returned = false;
            ParseStatements(statements, ref result, ref returned);
            if (!returned && _problems.Count == 0)
                Unsupported(body.Syntax, "a body without a final 'return'");
            if (result >= 0 && !CheckOutputLists(body, result))
                return -1;
            return result;
        }

        /// <summary>
        /// Parses statements in order, binding locals as they are assigned; <paramref name="returned"/> is set by the
        /// final <c>return</c> (never inside a loop body: a region has no return of its own).
        /// </summary>
        private void ParseStatements(IEnumerable<IOperation> statements, ref int result, ref bool returned)
        {
            var list = statements as IReadOnlyList<IOperation> ?? statements.ToList();
            for (int index = 0; index < list.Count; index++)
            {
                var statement = list[index];
                _cancellationToken.ThrowIfCancellationRequested();
                if (returned)
                {
                    Unsupported(statement.Syntax, "a statement after 'return'");
                    break;
                }
                if (_region is { Returns: false } && statement is IReturnOperation)
                {
                    Unsupported(statement.Syntax, "'return' inside a loop body (return after the loop)");
                    continue;
                }
                switch (statement)
                {
                    case IBlockOperation block:
                    {
                        // A block's statements, then (after an early return in it) nothing: the rest is an else arm then.
                        var inner = new List<IOperation>(block.Operations);
                        if (inner.Any(o => o is IConditionalOperation && o.DescendantsAndSelf().Any(d => d is IReturnOperation)))
                        {
                            for (int k = index + 1; k < list.Count; k++)
                                inner.Add(list[k]);
                            ParseStatements(inner, ref result, ref returned);
                            return;
                        }
                        ParseStatements(block.Operations, ref result, ref returned);
                        break;
                    }

                    case IConditionalOperation branch:
                    {
                        var rest = new List<IOperation>();
                        for (int k = index + 1; k < list.Count; k++)
                            rest.Add(list[k]);
                        if (IfStatement(branch, rest, ref result, ref returned))
                            return; // an early return: the rest of the body was its else arm
                        break;
                    }

                    case IForLoopOperation loop:
                        ForLoop(loop);
                        break;

                    case IForEachLoopOperation each:
                        ForEachLoop(each);
                        break;

                    case IWhileLoopOperation { ConditionIsTop: true, ConditionIsUntil: false, Condition: not null } whileLoop:
                        WhileLoop(whileLoop);
                        break;

                    case IVariableDeclarationGroupOperation group:
                        foreach (var declaration in group.Declarations)
                        {
                            foreach (var declarator in declaration.Declarators)
                            {
                                var initializer = declarator.Initializer ?? declaration.Initializer;
                                if (initializer is null)
                                    continue; // assigned later
                                _statement = Normalize($"{declarator.Symbol.Name} = {initializer.Value.Syntax}");
                                if (IsNewOutputList(initializer.Value))
                                {
                                    DeclareOutputList(declarator.Symbol, initializer.Value);
                                    continue;
                                }
                                Bind(declarator.Symbol, initializer.Value);
                            }
                        }
                        break;

                    case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment }:
                        _statement = Normalize(assignment.Syntax.ToString());
                        Bind(target.Local, assignment.Value);
                        break;

                    // Reassigning a parameter (x = Ops.Tanh(x)) binds its name to a new value, as for a local; the
                    // gradient Backward returns stays that of the argument the caller passed.
                    case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: IParameterReferenceOperation target } assignment }
                        when _current.ContainsKey(target.Parameter):
                    {
                        _statement = Normalize(assignment.Syntax.ToString());
                        int start = _values.Count;
                        int id = Parse(assignment.Value);
                        if (id >= 0)
                        {
                            Rename(id, start, target.Parameter.Name);
                            _current[target.Parameter] = id;
                        }
                        break;
                    }

                    // A counter (an int local): k++, k--, k += n, k -= n, as a constant that reads its value before.
                    case IExpressionStatementOperation { Operation: IIncrementOrDecrementOperation { Target: ILocalReferenceOperation counter } step }:
                        _statement = Normalize(step.Syntax.ToString());
                        CounterStep(counter.Local, step.Kind == OperationKind.Increment ? "+" : "-", null, step.Syntax);
                        break;

                    case IExpressionStatementOperation { Operation: ICompoundAssignmentOperation { Target: ILocalReferenceOperation counter, OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract } compound }
                        when _locals.TryGetValue(counter.Local, out int counterValue) && IsCounter(counterValue):
                        _statement = Normalize(compound.Syntax.ToString());
                        CounterStep(counter.Local, compound.OperatorKind == BinaryOperatorKind.Add ? "+" : "-", compound.Value, compound.Syntax);
                        break;

                    case IExpressionStatementOperation { Operation: ICompoundAssignmentOperation { Target: ILocalReferenceOperation or IParameterReferenceOperation } compound }:
                    {
                        _statement = Normalize(compound.Syntax.ToString());
                        bool bound;
                        int left;
                        string name;
                        if (compound.Target is ILocalReferenceOperation localTarget)
                        {
                            bound = _locals.TryGetValue(localTarget.Local, out left);
                            name = localTarget.Local.Name;
                        }
                        else
                        {
                            var parameterTarget = ((IParameterReferenceOperation)compound.Target).Parameter;
                            bound = _current.TryGetValue(parameterTarget, out left);
                            name = parameterTarget.Name;
                        }
                        if (bound)
                        {
                            int start = _values.Count;
                            int right = Parse(compound.Value);
                            if (right >= 0)
                            {
                                int value = Binary(compound.OperatorKind, compound.OperatorMethod, left, right, compound.Syntax);
                                if (value >= 0)
                                {
                                    Rename(value, start, name);
                                    if (compound.Target is ILocalReferenceOperation l)
                                        _locals[l.Local] = value;
                                    else
                                        _current[((IParameterReferenceOperation)compound.Target).Parameter] = value;
                                }
                            }
                        }
                        else
                        {
                            Unsupported(compound.Syntax, $"use of unassigned local '{name}'");
                        }
                        break;
                    }

                    case IReturnOperation { ReturnedValue: { } tupleValue } tupleReturn when _tuple is { } elements:
                    {
                        // return (h, c): one result per element; Backward takes one ∂L/∂element per element.
                        _statement = Normalize(tupleReturn.Syntax is ReturnStatementSyntax ? tupleReturn.Syntax.ToString().TrimEnd(';') : "return " + tupleReturn.Syntax);
                        var literal = tupleValue;
                        while (literal is IConversionOperation c)
                            literal = c.Operand;
                        if (literal is not ITupleOperation tuple || tuple.Elements.Length != elements.Count)
                        {
                            Unsupported(tupleValue.Syntax, "a tuple returned other than as a tuple literal '(a, b)'");
                            returned = true;
                            break;
                        }
                        result = 0;
                        for (int k = 0; k < elements.Count && result >= 0; k++)
                        {
                            int start = _values.Count;
                            int item = Parse(tuple.Elements[k]);
                            if (item < 0)
                            {
                                result = -1;
                                break;
                            }
                            Rename(item, start, Camel(elements[k].Name));
                            _results.Add(item);
                        }
                        if (result >= 0)
                            result = _results[0];
                        returned = true;
                        break;
                    }

                    case IReturnOperation { ReturnedValue: { } returnedValue } ret:
                        _statement = Normalize(ret.Syntax is ReturnStatementSyntax ? ret.Syntax.ToString().TrimEnd(';') : "return " + ret.Syntax);
                        int startCount = _values.Count;
                        result = Parse(returnedValue);
                        if (result >= 0)
                            Rename(result, startCount, _values[result].Kind == ValueKind.Scalar ? "loss" : "output");
                        returned = true;
                        break;

                    case IEmptyOperation:
                        break;

                    // State (DESIGN.md §8): an update of a [NoGrad] member runs as written and is never differentiated.
                    case IExpressionStatementOperation { Operation: IAssignmentOperation { Target: IMemberReferenceOperation target } assignment }:
                        StateAssignment(statement, assignment, target);
                        break;

                    case IExpressionStatementOperation { Operation: IIncrementOrDecrementOperation { Target: IMemberReferenceOperation target } step }:
                        StateAssignment(statement, step, target);
                        break;

                    case IExpressionStatementOperation { Operation: IInvocationOperation { TargetMethod.Name: "Add", Instance: ILocalReferenceOperation outputList } add }
                        when IsOutputList(outputList.Local):
                        AddToOutputList(statement, outputList.Local, add);
                        break;

                    case IExpressionStatementOperation { Operation: IInvocationOperation { TargetMethod.ReturnsVoid: true } call } when StateCall(statement, call):
                        break;

                    default:
                        Unsupported(statement.Syntax, ConstructName(statement));
                        break;
                }
            }
        }

        /// <summary>A value that is an integer counter: an int or long that depends on nothing differentiable.</summary>
        private bool IsCounter(int value) =>
            _values[value].Kind == ValueKind.Other && !_values[value].IsVaried && _values[value].TypeName is "int" or "long";

        /// <summary><c>k++</c>, <c>k -= n</c>: the counter's next value, a constant reading the one before.</summary>
        private void CounterStep(ILocalSymbol counter, string op, IOperation? amount, SyntaxNode syntax)
        {
            if (!_locals.TryGetValue(counter, out int before) || !IsCounter(before))
            {
                Unsupported(syntax, $"changing '{counter.Name}' (only an int counter may be incremented)");
                return;
            }
            if (amount is not null && (!IsConstant(amount) || !IsConstantTree(amount)))
            {
                Unsupported(syntax, $"changing the counter '{counter.Name}' by a value that depends on something differentiable");
                return;
            }
            _holes = new List<int>();
            string text = $"({Hole(before)} {op} {(amount is null ? "1" : Render(amount))})";
            var operands = _holes.ToEquatableArray();
            _holes = null;
            int id = NewValue(ValueKind.Other, _values[before].TypeName, counter.Name, null, false, true);
            _instructions.Add(new Instruction(id, OpKind.Constant, operands, Text: text, Source: Normalize(syntax.ToString()), Statement: _statement, Line: LineOf(syntax)));
            _spans[id] = SpanOf(syntax);
            _locals[counter] = id;
        }

        private static readonly System.Collections.Immutable.ImmutableArray<IOperation> ImmutableArrayEmpty =
            System.Collections.Immutable.ImmutableArray<IOperation>.Empty;

        private void Bind(ILocalSymbol local, IOperation value)
        {
            int start = _values.Count;
            int id = Parse(value);
            if (id < 0)
                return;
            Rename(id, start, local.Name);
            _locals[local] = id;
        }

        /// <summary>Names a value created by the current expression after the local (or role) it is bound to.</summary>
        private void Rename(int id, int firstNewValue, string name)
        {
            if (id >= firstNewValue)
                _values[id] = _values[id] with { Name = name };
        }

        // ------------------------------------------------------------------ expressions

        private int Parse(IOperation operation)
        {
            _cancellationToken.ThrowIfCancellationRequested();

            if (ReadsUpdatedState(operation))
                return -1;
            // A matrix member the method updates is read as a snapshot (an update in place after it must not change it).
            if (IsStateRead(operation))
                return StateRead((IMemberReferenceOperation)operation);

            // A sub-expression that no differentiable value flows into is a constant: it is evaluated once, as the
            // user wrote it (re-rendered fully qualified), and saved on the tape if Backward needs it.
            if (IsConstant(operation))
                return Constant(operation);

            switch (operation)
            {
                case IConversionOperation conversion when IsTransparent(conversion):
                    return Parse(conversion.Operand);

                case IParenthesizedOperation parenthesized:
                    return Parse(parenthesized.Operand);

                case IParameterReferenceOperation parameter when _current.TryGetValue(parameter.Parameter, out int input):
                    return input;

                case ILocalReferenceOperation local:
                    if (_locals.TryGetValue(local.Local, out int bound))
                        return bound;
                    // A list of results whose loop was reported already: no second error for the same cause.
                    if (_outputLists.ContainsKey(local.Local) && _problems.Any(p => !IsWarning(p.Id)))
                        return -1;
                    return Unsupported(local.Syntax, $"use of unassigned local '{local.Local.Name}'");

                case IPropertyReferenceOperation { Instance: { } instance } transpose
                    when RegisteredOps.BuiltInRuleOf(transpose.Property.GetMethod) is BuiltInRule.Transpose:
                {
                    int a = Parse(instance);
                    return a < 0 ? -1 : Emit(OpKind.Transpose, transpose, "transposed", a);
                }

                case IConditionalOperation { WhenFalse: not null, IsRef: false } conditional:
                    return ConditionalExpression(conditional);

                case IPropertyReferenceOperation { Property.IsIndexer: true } item when TryItem(item, out int itemValue):
                    return itemValue;

                case IPropertyReferenceOperation { Property.IsIndexer: true } indexer when Symbols.SequenceItem(indexer.Instance?.Type) is not null:
                    return Unsupported(indexer.Syntax, _region is null
                        ? "an element of a sequence outside a loop (read 'xs[t]' inside 'for (int t = 0; t < xs.Count; t++)')"
                        : "an element of a sequence other than 'xs[t]' with the loop variable of this loop");

                case IPropertyReferenceOperation { Property.IsIndexer: true } indexer:
                    return Unsupported(indexer.Syntax, "element access ('[...]'); use Ops (SliceRows, SliceColumns, Sum) instead");

                case IMemberReferenceOperation member when member.Member is IFieldSymbol or IPropertySymbol:
                    return MemberRead(member);

                case IBinaryOperation binary:
                {
                    int left = Parse(binary.LeftOperand);
                    int right = left < 0 ? -1 : Parse(binary.RightOperand);
                    return right < 0 ? -1 : Binary(binary.OperatorKind, binary.OperatorMethod, left, right, binary.Syntax, binary.LeftOperand, binary.RightOperand);
                }

                case IUnaryOperation unary:
                {
                    int a = Parse(unary.Operand);
                    if (a < 0)
                        return -1;
                    if (unary.OperatorKind == UnaryOperatorKind.Plus)
                        return a;
                    if (unary.OperatorKind != UnaryOperatorKind.Minus)
                        return Unsupported(unary.Syntax, $"the unary operator '{unary.OperatorKind}'");
                    if (_values[a].Kind == ValueKind.Scalar)
                        return Emit(OpKind.ScalarNeg, unary, "negated", a);
                    // A matrix operator is a runtime op: its descriptor names the rule.
                    if (RegisteredOps.BuiltInRuleOf(unary.OperatorMethod) is not BuiltInRule.Neg)
                        return Unsupported(unary.Syntax, $"the unary operator '{unary.OperatorKind}' on '{unary.Operand.Type?.ToDisplayString()}'");
                    return Emit(OpKind.Neg, unary, "negated", a);
                }

                case IInvocationOperation invocation:
                    return Invocation(invocation);

                default:
                    return Unsupported(operation.Syntax, ConstructName(operation));
            }
        }

        private int MemberRead(IMemberReferenceOperation member)
        {
            var symbol = member.Member;
            bool onThis = IsThis(member.Instance);
            if (symbol.IsImplicitlyDeclared)
                return Unsupported(member.Syntax, $"reading the compiler-generated member '{symbol.Name}'");
            if (onThis && symbol is IPropertySymbol property && IsInlinable(property))
                return ComputedProperty(member, property);
            if (onThis && Symbols.IsTrainable(symbol, _element))
                return ParameterRead(member, symbol.Name, Symbols.ShapeOf(symbol.GetAttributes()));
            // A sublayer's parameter (an L2 penalty on L1.W): its gradient goes to gradients.L1.W. Its [Shape] is in the
            // sublayer's symbols, not this layer's, so it is not carried over.
            if (member.Instance is IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } owner && IsThis(owner.Instance)
                && Symbols.IsTrainable(symbol, _element)
                && _layer is { } layer && layer.Sublayers.Any(sublayer => sublayer.Name == owner.Member.Name))
                return ParameterRead(member, owner.Member.Name + "." + symbol.Name, null);
            if (!onThis && symbol is IPropertySymbol computed && Symbols.IsComputedProperty(computed, _cancellationToken))
                return Unsupported(member.Syntax, $"reading the computed property '{member.Syntax}' of another object (LayerGen inlines only this layer's own computed properties)");
            return Unsupported(member.Syntax, $"reading '{member.Syntax}' (only the layer's own parameters, its sublayers' parameters, inputs and locals can carry gradients)");
        }

        private static bool IsThis(IOperation? instance) =>
            instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance };

        /// <summary>A read of a trainable parameter (<c>W</c>, or a sublayer's <c>L1.W</c>): one source value per method.</summary>
        private int ParameterRead(IMemberReferenceOperation member, string path, Shape? shape)
        {
            if (!_parameterReads.TryGetValue(path, out int id))
            {
                var symbol = member.Member;
                var type = symbol is IFieldSymbol f ? f.Type : ((IPropertySymbol)symbol).Type;
                id = NewValue(ValueKind.Matrix, Symbols.Display(type), symbol.Name, shape, true);
                _instructions.Add(new Instruction(id, OpKind.Parameter, EquatableArray<int>.Empty, Text: path,
                    Source: path, Statement: _statement, Line: LineOf(member.Syntax)));
                _parameterReads[path] = id;
            }
            if (!_spans.ContainsKey(id))
                _spans[id] = SpanOf(member.Syntax);
            return id;
        }

        /// <summary>
        /// A computed property of this layer whose value may carry gradient (a <c>Matrix&lt;T&gt;</c> or <c>T</c>, not
        /// <c>[NoGrad]</c>): it is differentiated through its getter, never treated as a parameter or a constant.
        /// </summary>
        private bool IsInlinable(IPropertySymbol property) =>
            !property.IsStatic && !property.IsIndexer
            && Symbols.KindOf(property.Type, _element) != ValueKind.Other
            && !Symbols.HasAttribute(property, "NoGradAttribute")
            && Symbols.IsComputedProperty(property, _cancellationToken);

        /// <summary>
        /// Reads a computed property (<c>Wt =&gt; W.T</c>) by parsing its getter, with the semantic model of the tree
        /// that declares it, into this method's IR: W's gradient then includes the path through Wt (weight tying).
        /// </summary>
        private int ComputedProperty(IMemberReferenceOperation member, IPropertySymbol property)
        {
            var definition = property.OriginalDefinition;
            if (_propertyReads.TryGetValue(definition, out int cached))
                return cached;
            string name = property.Name;
            if (!SymbolEqualityComparer.Default.Equals(definition.ContainingType, _method.ContainingType.OriginalDefinition))
                return Unsupported(member.Syntax, $"reading the computed property '{name}' declared in a base type (LayerGen inlines only the layer's own computed properties; make it an ordinary property or move it)");
            if (_inlining.Contains(definition) || _inlining.Count >= CalleeShapes.MaxDepth)
                return Unsupported(member.Syntax, $"reading the computed property '{name}', whose getter reads itself");
            // The getter's text decides what is inlined (and whether it can be): a dependency of the model.
            if (_scope.Reads is { } reads)
            {
                foreach (var reference in definition.DeclaringSyntaxReferences)
                    reads.ReadBodies(reference.GetSyntax(_cancellationToken));
            }
            if (Symbols.GetterExpression(definition, _cancellationToken, out string reason) is not { } expression)
                return Unsupported(member.Syntax, $"reading the computed property '{name}': {reason}");
            if (member.SemanticModel is not { } callerModel || !callerModel.Compilation.ContainsSyntaxTree(expression.SyntaxTree))
                return Unsupported(member.Syntax, $"reading the computed property '{name}': its getter is not in this compilation");
            // The getter may live in another tree (another part of a partial type); only that tree's model binds it.
            var model = expression.SyntaxTree == callerModel.SyntaxTree ? callerModel : callerModel.Compilation.GetSemanticModel(expression.SyntaxTree);
            if (model.GetOperation(expression, _cancellationToken) is not { } getter)
                return Unsupported(member.Syntax, $"reading the computed property '{name}': its getter does not compile");
            _inlining.Add(definition);
            int start = _values.Count;
            int id;
            try
            {
                id = Parse(getter);
            }
            finally
            {
                _inlining.Remove(definition);
            }
            if (id < 0)
                return -1;
            Rename(id, start, Camel(name));
            _propertyReads[definition] = id;
            if (!_spans.ContainsKey(id))
                _spans[id] = SpanOf(member.Syntax);
            return id;
        }

        private int Binary(BinaryOperatorKind op, IMethodSymbol? operatorMethod, int left, int right, SyntaxNode syntax,
            IOperation? leftOperation = null, IOperation? rightOperation = null)
        {
            var lk = _values[left].Kind;
            var rk = _values[right].Kind;
            if (lk == ValueKind.Other || rk == ValueKind.Other)
                return Unsupported(syntax, $"'{Normalize(syntax.ToString())}' on a value that is neither Matrix<T> nor T");

            // An operator on a matrix is a runtime op (Matrix<T>'s operators): its descriptor names the rule.
            var rule = lk == ValueKind.Matrix || rk == ValueKind.Matrix ? RegisteredOps.BuiltInRuleOf(operatorMethod) : null;
            if (lk == ValueKind.Matrix && rk == ValueKind.Matrix)
            {
                switch (rule)
                {
                    case BuiltInRule.Add:
                        return Emit(OpKind.Add, syntax, "sum", left, right);
                    case BuiltInRule.Sub:
                        return Emit(OpKind.Sub, syntax, "difference", left, right);
                    case BuiltInRule.MatMul:
                        return MatMul(syntax, left, false, right, false, leftOperation, rightOperation);
                    default:
                        return Unsupported(syntax, $"the operator '{op}' between two matrices (use Ops.Mul or Ops.Div for element-wise)");
                }
            }

            if (lk == ValueKind.Scalar && rk == ValueKind.Scalar)
            {
                return op switch
                {
                    BinaryOperatorKind.Add => Emit(OpKind.ScalarAdd, syntax, "s", left, right),
                    BinaryOperatorKind.Subtract => Emit(OpKind.ScalarSub, syntax, "s", left, right),
                    BinaryOperatorKind.Multiply => Emit(OpKind.ScalarMul, syntax, "s", left, right),
                    BinaryOperatorKind.Divide => Emit(OpKind.ScalarDiv, syntax, "s", left, right),
                    _ => Unsupported(syntax, $"the operator '{op}' on scalars"),
                };
            }

            // One matrix and one scalar: scaling.
            int matrix = lk == ValueKind.Matrix ? left : right;
            int scalar = lk == ValueKind.Matrix ? right : left;
            switch (rule)
            {
                case BuiltInRule.Scale:
                    return Emit(OpKind.Scale, syntax, "scaled", matrix, scalar);
                case BuiltInRule.DivideByScalar:
                {
                    // m / s = m · (1 / s): the reciprocal is an ordinary scalar value (constant when s is).
                    int one = NewValue(ValueKind.Scalar, _elementText, "one", null, false);
                    _instructions.Add(new Instruction(one, OpKind.Constant, EquatableArray<int>.Empty,
                        Text: _element is ITypeParameterSymbol ? _elementText + ".One" : _elementText == "double" ? "1d" : "1f", IsLiteral: true, Source: "1", Statement: _statement, Line: LineOf(syntax)));
                    int reciprocal = Emit(OpKind.ScalarDiv, syntax, "reciprocal", one, scalar);
                    return Emit(OpKind.Scale, syntax, "scaled", matrix, reciprocal);
                }
                default:
                    return Unsupported(syntax, $"the operator '{op}' between a matrix and a scalar (use Ops.Add(m, s) to add a scalar)");
            }
        }

        private int MatMul(SyntaxNode syntax, int a, bool transposeA, int b, bool transposeB, IOperation? aOperation, IOperation? bOperation)
        {
            // A '.T' that feeds a product is folded into the GEMM's transpose flag: no transpose is materialised.
            (a, transposeA) = FoldTranspose(a, transposeA, aOperation);
            (b, transposeB) = FoldTranspose(b, transposeB, bOperation);
            return Emit(OpKind.MatMul, syntax, "product", new[] { a, b }, transposeA: transposeA, transposeB: transposeB);
        }

        private (int, bool) FoldTranspose(int value, bool transposed, IOperation? operation)
        {
            // Only fold a transpose created for this very operand (not a local that is also used elsewhere).
            while (operation is IConversionOperation c && IsTransparent(c))
                operation = c.Operand;
            if (operation is IPropertyReferenceOperation property && RegisteredOps.BuiltInRuleOf(property.Property.GetMethod) is BuiltInRule.Transpose
                && _instructions.Count > 0 && _instructions[_instructions.Count - 1] is { Op: OpKind.Transpose } last && last.Result == value)
            {
                _instructions.RemoveAt(_instructions.Count - 1);
                _values.RemoveAt(_values.Count - 1);
                return (last.Operands[0], !transposed);
            }
            return (value, transposed);
        }

        private int Invocation(IInvocationOperation invocation)
        {
            var target = invocation.TargetMethod;
            var args = new IOperation?[target.Parameters.Length];
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is { } p && p.Ordinal < args.Length)
                    args[p.Ordinal] = argument.Value;
            }

            // An op with a descriptor ([Differentiable]), read from its symbol: the runtime's structural ops name a rule of
            // the generator's table; every other op (the runtime's element-wise functions, user ops from any assembly)
            // names its backward.
            if (RegisteredOps.AttributeOf(target) is not null)
            {
                if (RegisteredOps.BuiltInRuleOf(target) is { } rule)
                    return BuiltIn(invocation, rule, target, args);
                return RegisteredOp(invocation, target, args);
            }

            if (Symbols.IsForward(target))
                return ForwardCall(invocation, target, args);

            if (RegisteredOps.AllocatingFormOf(target) is { } allocating)
                return Unsupported(invocation.Syntax, $"the destination-passing form of {target.ContainingType.Name}.{target.Name} (call the allocating form {RegisteredOps.Show(allocating)}; the generated code chooses the buffers)");

            return NoDerivative(invocation, target);
        }

        /// <summary>
        /// A call of a <c>[Differentiable]</c> op: a <see cref="OpKind.ForwardCall"/> whose callee is the registered op, so
        /// shapes, activity and the need flags treat it like a static helper; its backward is the registered method.
        /// A registration that does not fit is an error at every call (LG0009), never a fallback.
        /// </summary>
        private int RegisteredOp(IInvocationOperation invocation, IMethodSymbol target, IOperation?[] args)
        {
            string opName = target.ContainingType.Name + "." + target.Name;
            var definition = target.OriginalDefinition;
            if (!_registrations.TryGetValue(definition, out var registration))
                _registrations[definition] = registration = RegisteredOps.Resolve(definition);
            if (registration.Error is not null)
            {
                Report("LG0009", invocation.Syntax.GetLocation(), opName, registration.Error);
                return -1;
            }
            var opElement = Symbols.ElementTypeOf(target);
            if (_element is not null && opElement is not null && !SymbolEqualityComparer.Default.Equals(opElement, _element))
                return Unsupported(invocation.Syntax, $"a call of '{opName}' on '{opElement.ToDisplayString()}' in a layer of '{_element.ToDisplayString()}'");

            var parameters = Symbols.Parameters(target, _element);
            var (operands, varied) = CallArguments(invocation, target, args, parameters, initiallyVaried: false);
            if (operands is null)
                return -1;

            // A [NoGrad] parameter of the op gets no gradient: a value that depends on a parameter or input would lose
            // that path silently, so it is an error (a constant slope, labels, a target are fine).
            for (int i = 0; i < args.Length; i++)
            {
                if (!parameters[i].IsDifferentiable && parameters[i].Kind != ValueKind.Other && _values[operands[i]].IsVaried)
                    return Unsupported(args[i]!.Syntax, $"'{Normalize(args[i]!.Syntax.ToString())}' as '{parameters[i].Name}' of {opName}: that parameter is [NoGrad] (it gets no gradient) but the value depends on a parameter or input");
                if (parameters[i].Kind == ValueKind.Other && _values[operands[i]].IsVaried)
                    return Unsupported(args[i]!.Syntax, $"'{Normalize(args[i]!.Syntax.ToString())}' as '{parameters[i].Name}' of {opName}: a non-differentiable parameter that receives a value depending on a parameter or input");
            }

            // Type arguments are written only where the call cannot infer them from its arguments.
            var definitionParameterTypes = definition.Parameters.Select(p => p.Type).ToList();
            bool inferable = definition.TypeParameters.All(t => definitionParameterTypes.Any(p => Mentions(p, t)));
            string typeArguments = target.IsGenericMethod && !inferable
                ? "<" + string.Join(", ", target.TypeArguments.Select(Symbols.Display)) + ">"
                : "";
            var facts = new RegisteredOpFacts(registration.TakesArguments, registration.BackwardInto, registration.AccumulateNames.ToEquatableArray(),
                registration.AccumulateHasDefaults.ToEquatableArray(), registration.ResultRows, registration.ResultCols, registration.Notation,
                registration.Derivative, Symbols.ShapeOf(definition.GetReturnTypeAttributes()), registration.HasDestinationOverload,
                registration.ResultShapeMethod);
            var callee = new ForwardCallee(CalleeKind.RegisteredOp, Symbols.Display(target.ContainingType), target.Name, TapeType: "",
                Symbols.KindOf(target.ReturnType, _element) == ValueKind.Scalar, parameters,
                EquatableArray<string>.Empty,
                SymbolEqualityComparer.Default.Equals(target.ContainingAssembly, _method.ContainingAssembly),
                Backward: registration.Backward!.Name, BackwardTakesResult: registration.TakesResult, TypeArguments: typeArguments,
                Registered: facts);
            // The op's own [Shape]s are in its call-scoped symbols: shape inference renames them per call (facts.ReturnShape),
            // so the value itself carries no declared shape.
            int id = NewValue(Symbols.KindOf(target.ReturnType, _element), Symbols.Display(target.ReturnType), Camel(target.Name),
                null, varied);
            _instructions.Add(new Instruction(id, OpKind.ForwardCall, operands.ToEquatableArray(), Call: callee,
                Source: Normalize(invocation.Syntax.ToString()), Statement: _statement, Line: LineOf(invocation.Syntax)));
            _spans[id] = SpanOf(invocation.Syntax);
            return id;
        }

        /// <summary>
        /// Parses a call's arguments in parameter order: their value ids (null after an error, already reported) and
        /// whether the result varies (it does when a differentiable parameter receives a varied value).
        /// </summary>
        private (int[]? Operands, bool Varied) CallArguments(IInvocationOperation invocation, IMethodSymbol target, IOperation?[] args,
            EquatableArray<MethodParameter> parameters, bool initiallyVaried)
        {
            var operands = new int[args.Length];
            bool varied = initiallyVaried;
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i] is null)
                {
                    Unsupported(invocation.Syntax, $"a missing argument of {target.Name}");
                    return (null, false);
                }
                operands[i] = Parse(args[i]!);
                if (operands[i] < 0)
                    return (null, false);
                varied |= _values[operands[i]].IsVaried && parameters[i].IsDifferentiable;
            }
            return (operands, varied);
        }

        /// <summary>Whether <paramref name="type"/> mentions the type parameter (<c>Matrix&lt;T&gt;</c> mentions T).</summary>
        private static bool Mentions(ITypeSymbol type, ITypeParameterSymbol parameter) => type switch
        {
            ITypeParameterSymbol t => SymbolEqualityComparer.Default.Equals(t, parameter),
            IArrayTypeSymbol array => Mentions(array.ElementType, parameter),
            INamedTypeSymbol named => named.TypeArguments.Any(a => Mentions(a, parameter)),
            _ => false,
        };

        private int NoDerivative(IInvocationOperation invocation, IMethodSymbol target)
        {
            Report("LG0003", invocation.Syntax.GetLocation(), target.ContainingType?.Name + "." + target.Name);
            return -1;
        }

        /// <summary>A call of a runtime op whose descriptor names a rule of the generator's table (<see cref="BuiltInRule"/>).</summary>
        private int BuiltIn(IInvocationOperation invocation, BuiltInRule rule, IMethodSymbol target, IOperation?[] args)
        {
            var syntax = invocation.Syntax;
            if (RegisteredOps.OpKindOf(rule) is not { } op)
                return Unsupported(syntax, $"'{target.ContainingType.Name}.{target.Name}' as a call (its rule '{rule}' is written as an operator)");
            int Arg(int i) => i < args.Length && args[i] is { } a ? Parse(a) : Unsupported(syntax, $"a missing argument of {target.Name}");

            switch (op)
            {
                case OpKind.MatMul:
                {
                    if (!ConstantBool(args, 2, out bool ta) || !ConstantBool(args, 3, out bool tb))
                        return Unsupported(syntax, "a transpose flag of Ops.MatMul that is not a compile-time constant");
                    int a = Arg(0), b = a < 0 ? -1 : Arg(1);
                    return b < 0 ? -1 : MatMul(syntax, a, ta, b, tb, args[0], args[1]);
                }
                case OpKind.DropoutMask:
                {
                    // x ⊙ mask: the mask is a forward value of x's shape that nothing differentiates (p and the Random
                    // must not depend on anything differentiable), saved for the product's backward dY ⊙ mask.
                    int x = Arg(0), p = x < 0 ? -1 : Arg(1), random = p < 0 ? -1 : Arg(2);
                    if (random < 0)
                        return -1;
                    if (_values[p].IsVaried || _values[random].IsVaried)
                        return Unsupported(syntax, "a dropout probability or Random that depends on a parameter or input");
                    int mask = NewValue(ValueKind.Matrix, $"global::LayerGen.Matrix<{_elementText}>", "mask", null, false);
                    _instructions.Add(new Instruction(mask, OpKind.DropoutMask, new[] { x, p, random }.ToEquatableArray(),
                        Source: Normalize(syntax.ToString()), Statement: _statement, Line: LineOf(syntax)));
                    _spans[mask] = SpanOf(syntax);
                    return Emit(OpKind.Mul, syntax, "dropped", x, mask);
                }
                case OpKind.SumAxis or OpKind.MeanAxis or OpKind.Concat:
                {
                    int axisIndex = op == OpKind.Concat ? 2 : 1;
                    if (args.Length <= axisIndex || args[axisIndex]?.ConstantValue is not { HasValue: true, Value: int axis } || axis is not (0 or 1))
                        return Unsupported(syntax, $"an axis of Ops.{target.Name} that is not the constant 0 or 1");
                    var operands = new List<int>();
                    for (int i = 0; i < axisIndex; i++)
                    {
                        int v = Arg(i);
                        if (v < 0)
                            return -1;
                        operands.Add(v);
                    }
                    return Emit(op, syntax, HintFor(op), operands.ToArray(), axis: axis);
                }
                default:
                {
                    var operands = new int[args.Length];
                    for (int i = 0; i < args.Length; i++)
                    {
                        operands[i] = Arg(i);
                        if (operands[i] < 0)
                            return -1;
                    }
                    if (op == OpKind.SoftmaxCrossEntropy && _values[operands[1]].IsVaried)
                        return Unsupported(args[1]!.Syntax, "labels that depend on a parameter or input");
                    return Emit(op, syntax, HintFor(op), operands);
                }
            }
        }

        private static bool ConstantBool(IOperation?[] args, int index, out bool value)
        {
            value = false;
            if (index >= args.Length || args[index] is null)
                return true;
            if (args[index]!.ConstantValue is { HasValue: true, Value: bool b })
            {
                value = b;
                return true;
            }
            return false;
        }

        private int ForwardCall(IInvocationOperation invocation, IMethodSymbol target, IOperation?[] args)
        {
            _calls?.Add((target.OriginalDefinition, invocation.Syntax.GetLocation()));
            if (Symbols.KindOf(target.ReturnType, Symbols.ElementTypeOf(target)) == ValueKind.Sequence)
                return Unsupported(invocation.Syntax, $"a call of the sequence-returning [Forward] method '{target.Name}' (a [Forward] method can return a list of results to its caller, not yet to another [Forward] method)");
            if (Symbols.TupleElements(target.ReturnType, Symbols.ElementTypeOf(target)) is not null)
                return Unsupported(invocation.Syntax, $"a call of the tuple-returning [Forward] method '{target.Name}' (a [Forward] method can return a tuple to its caller, not yet to another [Forward] method)");
            var calleeElement = Symbols.ElementTypeOf(target);
            CalleeKind kind;
            string receiver;
            string hint;
            string? frozenGradients = null;
            int elementIndex = -1;
            if (target.IsStatic)
            {
                kind = CalleeKind.Static;
                receiver = Symbols.Display(target.ContainingType);
                hint = Camel(target.Name);
            }
            else if (invocation.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance })
            {
                if (_method.IsStatic || !SymbolEqualityComparer.Default.Equals(target.ContainingType, _method.ContainingType))
                    return Unsupported(invocation.Syntax, "a call of an inherited [Forward] method");
                kind = CalleeKind.Self;
                receiver = "";
                hint = Camel(target.Name);
            }
            else if (invocation.Instance is IMemberReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }, Member: IFieldSymbol or IPropertySymbol } sublayer)
            {
                kind = CalleeKind.Sublayer;
                receiver = sublayer.Member.Name;
                hint = Camel(sublayer.Member.Name);
                // A [NoGrad] sublayer is frozen: its backward runs only for the input gradient, into scratch gradients.
                if (Symbols.HasAttribute(sublayer.Member, "NoGradAttribute"))
                    frozenGradients = Symbols.Display(target.ContainingType) + ".Gradients";
            }
            else if (SublayerElement(invocation.Instance, out receiver, out elementIndex))
            {
                if (elementIndex < 0)
                    return -1;
                kind = CalleeKind.SublayerElement;
                hint = Camel(receiver) + "Item";
            }
            else
            {
                return Unsupported(invocation.Syntax, "a [Forward] call on a receiver other than a field or property of this layer, or an element of one that holds sublayers");
            }

            // The generated call needs the callee's generated tape and backward: they exist only where LayerGen can add
            // members to the callee's type (partial), or, compiled elsewhere, where that assembly has them.
            if (kind != CalleeKind.Self)
            {
                var calleeType = target.ContainingType;
                if (Symbols.CannotEmitReason(calleeType, _cancellationToken) is { } reason)
                    return Unsupported(invocation.Syntax, $"a call of '{calleeType.Name}.{target.Name}': {reason}, so LayerGen cannot generate its backward (declare it partial)");
                if (calleeType.DeclaringSyntaxReferences.Length == 0 && calleeType.GetTypeMembers(Symbols.TapeName(target.Name)).Length == 0)
                    return Unsupported(invocation.Syntax, $"a call of '{calleeType.Name}.{target.Name}': its assembly has no generated backward for it");
            }
            // A callee with errors of its own gets no generated members: a call of them would not compile.
            var facts = Callee(invocation, target);
            if (facts.HasErrors)
                return Unsupported(invocation.Syntax, $"a call of '{target.ContainingType.Name}.{target.Name}', which has errors of its own (see them there), so LayerGen generates no backward for it");
            if (kind == CalleeKind.Sublayer && frozenGradients is null && _layer is { } layer && !layer.Sublayers.Any(s => s.Name == receiver))
                return Unsupported(invocation.Syntax, $"a call of the sublayer '{receiver}', whose gradients this layer cannot hold (a sublayer must use this layer's element type)");
            if (kind == CalleeKind.SublayerElement && _layer is { } owner && !owner.Sublayers.Any(s => s.Name == receiver && s.Collection != SublayerCollection.None))
                return Unsupported(invocation.Syntax, $"a call of an element of '{receiver}', whose gradients this layer cannot hold (a collection of sublayers must not be [NoGrad] and must use this layer's element type)");

            var parameters = Symbols.Parameters(target, calleeElement);
            // A trainable sublayer or the layer itself has parameters; a static helper or a frozen sublayer only passes on its arguments.
            var (operands, varied) = CallArguments(invocation, target, args, parameters,
                initiallyVaried: kind is CalleeKind.Sublayer or CalleeKind.Self or CalleeKind.SublayerElement && frozenGradients is null);
            if (operands is null)
                return -1;
            if (kind == CalleeKind.SublayerElement)
                operands = operands.Append(elementIndex).ToArray(); // after the callee's parameters: which element

            string tapeType = Symbols.Display(target.ContainingType) + "." + Symbols.TapeName(target.Name);
            // Each element of a collection has parameters of its own: their shape symbols are call-scoped.
            var callee = new ForwardCallee(kind, receiver, target.Name, tapeType,
                Symbols.KindOf(target.ReturnType, calleeElement) == ValueKind.Scalar, parameters,
                kind is CalleeKind.Static or CalleeKind.SublayerElement ? EquatableArray<string>.Empty : Symbols.LayerShapeSymbols(target.ContainingType),
                SymbolEqualityComparer.Default.Equals(target.ContainingAssembly, _method.ContainingAssembly),
                InferredReturnShape: facts.InferredShape,
                FrozenGradientsType: frozenGradients);
            var resultKind = Symbols.KindOf(target.ReturnType, calleeElement);
            int id = NewValue(resultKind, Symbols.Display(target.ReturnType), hint, Symbols.ShapeOf(target.GetReturnTypeAttributes()), varied);
            _instructions.Add(new Instruction(id, OpKind.ForwardCall, operands.ToEquatableArray(), Call: callee,
                Source: Normalize(invocation.Syntax.ToString()), Statement: _statement, Line: LineOf(invocation.Syntax)));
            _spans[id] = SpanOf(invocation.Syntax);
            return id;
        }

        /// <summary>
        /// What the caller needs to know about a callee compiled with it, from its body (parsed with its own tree's
        /// semantic model, at most once per top-level parse): whether it has errors (then nothing is generated for it,
        /// and a call of its generated members would not compile) and, for a matrix-returning callee without
        /// <c>[return: Shape]</c>, its inferred result shape in the callee's own symbols. Never throws.
        /// </summary>
        private CalleeFacts Callee(IInvocationOperation invocation, IMethodSymbol target)
        {
            var definition = target.OriginalDefinition;
            if (_scope.Cache.TryGetValue(definition, out var cached))
                return cached;
            // A cycle (recursion, mutual recursion; LG0006) or a very deep chain: no shape, never a guess.
            if (_scope.InProgress.Contains(definition) || _scope.Depth >= CalleeShapes.MaxDepth)
                return CalleeFacts.Unknown;
            CalleeFacts facts;
            _scope.InProgress.Add(definition);
            _scope.Depth++;
            try
            {
                facts = FromBody(invocation, definition);
            }
            catch (OperationCanceledException)
            {
                throw;
            }
            catch (Exception)
            {
                // The generator cannot read this callee either (its transform fails the same way): nothing is generated for it.
                facts = new CalleeFacts(true, null);
                _scope.Reads?.Unreadable();
            }
            finally
            {
                _scope.InProgress.Remove(definition);
                _scope.Depth--;
            }
            _scope.Cache[definition] = facts;
            return facts;
        }

        private CalleeFacts FromBody(IInvocationOperation invocation, IMethodSymbol definition)
        {
            if (invocation.SemanticModel is not { } callerModel)
                return CalleeFacts.Unknown;
            MethodDeclarationSyntax? declaration = null;
            foreach (var reference in definition.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(_cancellationToken) is MethodDeclarationSyntax { } d && (d.Body ?? (SyntaxNode?)d.ExpressionBody) is not null)
                    declaration = d;
            }
            // No source in this compilation (metadata, or another project's tree): nothing to read.
            if (declaration is null || !callerModel.Compilation.ContainsSyntaxTree(declaration.SyntaxTree))
                return CalleeFacts.Unknown;
            // The callee's body may live in another tree; only that tree's semantic model can bind it.
            var model = declaration.SyntaxTree == callerModel.SyntaxTree
                ? callerModel
                : callerModel.Compilation.GetSemanticModel(declaration.SyntaxTree);
            SyntaxNode bodyNode = (SyntaxNode?)declaration.Body ?? declaration.ExpressionBody!;
            // The callee's facts (errors, inferred shape) come from its body: a dependency of the caller's model.
            _scope.Reads?.Read(bodyNode);
            var body = model.GetOperation(bodyNode, _cancellationToken);
            var parsed = new BodyParser(definition, _cancellationToken, null, _scope).Run(body);
            // A callee with errors is not generated and has no trustworthy shapes; its own diagnostics say what is wrong.
            if (parsed.Model is not { Body: { } calleeBody } calleeModel || parsed.Problems.Any(p => !IsWarning(p.Id)))
                return new CalleeFacts(true, null);
            if (Symbols.MatrixElement(definition.ReturnType) is null || Symbols.ShapeOf(definition.GetReturnTypeAttributes()) is not null)
                return CalleeFacts.Unknown;
            var inferred = Shapes.ShapeInference.Infer(calleeModel, cancellationToken: _cancellationToken);
            if (inferred.Problems.Any(p => p.Id != "LG1100")
                || calleeBody.Result < 0 || calleeBody.Result >= inferred.Shapes.Count || inferred.Shapes[calleeBody.Result] is not { } result)
                return CalleeFacts.Unknown;
            // Only the callee's own names and constants can be instantiated per call; inference variables of its body
            // (unknowns, its own callees' instances) leave that dimension unknown.
            static string Text(Shapes.Dim dim) =>
                dim.Symbols.Any(Shapes.Unifier.IsVariable) ? Shape.Unknown : dim.Render(s => s).Replace(" ", "");
            var shape = new Shape(Text(result.Rows), Text(result.Cols));
            return new CalleeFacts(false, shape.Rows == Shape.Unknown && shape.Cols == Shape.Unknown ? null : shape);
        }

        // ------------------------------------------------------------------ constants

        /// <summary>
        /// Whether nothing differentiable flows into the expression and it can be re-evaluated from its text: it reads no
        /// value that carries gradient (a differentiable input or a local computed from one, except its <c>Rows</c>/
        /// <c>Cols</c>/<c>Length</c>; a trainable parameter; a computed property that may read one), calls no [Forward]
        /// method and no Ops/Losses op. Matrix-valued ones are plain reads (<c>[NoGrad]</c> fields) and matrices made by a
        /// call LayerGen does not differentiate (<c>Matrix&lt;T&gt;.Ones(n, x.Cols)</c>); matrix operators and Ops
        /// always go through the IR.
        /// </summary>
        private bool IsConstant(IOperation operation)
        {
            if (operation.Type is null)
                return false;
            // A bare reference is a value already (an input, a local): Parse looks it up.
            if (operation is IParameterReferenceOperation or ILocalReferenceOperation)
                return false;
            if (Symbols.MatrixElement(operation.Type) is not null)
            {
                return operation switch
                {
                    IMemberReferenceOperation m => m.Member is IFieldSymbol or IPropertySymbol && m.Member.Name != "T"
                        && IsConstantTree(operation) && Renderable(operation),
                    IInvocationOperation or IObjectCreationOperation => IsConstantTree(operation) && Renderable(operation),
                    _ => false,
                };
            }
            return IsConstantTree(operation) && Renderable(operation);
        }

        private bool IsConstantTree(IOperation operation)
        {
            if (_conditionValues is { } parsed && parsed.ContainsKey(operation))
                return true; // a forward value a branch's condition reads
            switch (operation)
            {
                case ILocalReferenceOperation local:
                    return _locals.TryGetValue(local.Local, out int bound) && !_values[bound].IsVaried;
                case IParameterReferenceOperation p:
                    return _current.TryGetValue(p.Parameter, out int id) && !_values[id].IsVaried;
                case IInstanceReferenceOperation { ReferenceKind: not InstanceReferenceKind.ContainingTypeInstance }:
                case IAnonymousFunctionOperation:
                case IInvalidOperation:
                    return false;
                // A sequence's length never carries gradient: xs.Count.
                case IPropertyReferenceOperation { Property.Name: "Count", Instance: { } sequence }
                    when Symbols.SequenceItem(sequence.Type) is not null:
                    return IsShapeSource(sequence);
                // A shape read never carries gradient, whatever the matrix: x.Cols, h.Rows, W.Rows.
                case IPropertyReferenceOperation { Property.Name: "Rows" or "Cols" or "Length", Instance: { } instance }
                    when Symbols.MatrixElement(instance.Type) is not null:
                    return IsShapeSource(instance);
                case IMemberReferenceOperation m when CarriesGradient(m):
                    return false;
                case IInvocationOperation invocation:
                    if (Symbols.IsForward(invocation.TargetMethod)
                        || Symbols.IsLayerGenType(invocation.TargetMethod.ContainingType, "Ops")
                        || Symbols.IsLayerGenType(invocation.TargetMethod.ContainingType, "Losses"))
                        return false;
                    // A method of this layer (or of a trainable sublayer) returning Matrix<T> or T may read parameters:
                    // not a constant (a silently missing gradient), but a call without a derivative.
                    if (!invocation.TargetMethod.IsStatic && Symbols.KindOf(invocation.TargetMethod.ReturnType, _element) != ValueKind.Other
                        && IsOnLayer(invocation.Instance))
                        return false;
                    break;
                // The layer itself passed as a value: the callee may read its parameters.
                case IArgumentOperation { Value: IInstanceReferenceOperation }:
                    return false;
            }
            if (operation.Type is { } t && Symbols.MatrixElement(t) is not null
                && operation is not (IMemberReferenceOperation or IInvocationOperation or IObjectCreationOperation))
                return false;
            foreach (var child in operation.ChildOperations)
            {
                if (!IsConstantTree(child))
                    return false;
            }
            return true;
        }

        /// <summary>The receiver is this layer or a member chain on it with no <c>[NoGrad]</c> member (a frozen sublayer).</summary>
        private static bool IsOnLayer(IOperation? instance)
        {
            for (; instance is IMemberReferenceOperation owner; instance = owner.Instance)
            {
                if (Symbols.HasAttribute(owner.Member, "NoGradAttribute"))
                    return false;
            }
            return IsThis(instance);
        }

        /// <summary>The matrix whose shape is read: an input, a bound local, or a member chain on this layer.</summary>
        private bool IsShapeSource(IOperation instance)
        {
            while (instance is IConversionOperation c && IsTransparent(c))
                instance = c.Operand;
            return instance switch
            {
                IParameterReferenceOperation p => _current.ContainsKey(p.Parameter),
                ILocalReferenceOperation l => _locals.ContainsKey(l.Local),
                IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } m =>
                    m.Member.IsStatic || m.Instance is null || IsThis(m.Instance) || IsShapeSource(m.Instance),
                _ => false,
            };
        }

        /// <summary>
        /// Whether reading the member may carry gradient: a trainable parameter, or a computed property of type
        /// Matrix&lt;T&gt; or T (its getter may read parameters), unless the member or an object on the way to it is
        /// <c>[NoGrad]</c> (a frozen sublayer).
        /// </summary>
        private bool CarriesGradient(IMemberReferenceOperation member)
        {
            if (member.Member.IsStatic || member.Member is not (IFieldSymbol or IPropertySymbol))
                return false;
            for (var owner = member.Instance; owner is IMemberReferenceOperation o; owner = o.Instance)
            {
                if (Symbols.HasAttribute(o.Member, "NoGradAttribute"))
                    return false;
            }
            if (Symbols.IsTrainable(member.Member, _element))
                return true;
            return member.Member is IPropertySymbol property && IsInlinable(property);
        }

        private int Constant(IOperation operation)
        {
            var type = operation.Type!;
            var kind = Symbols.KindOf(type, _element);
            bool literal = operation.ConstantValue.HasValue || operation is ILiteralOperation;
            ReportScalarConstants(operation);
            _holes = new List<int>();
            string text = Render(operation);
            var operands = _holes.ToEquatableArray();
            _holes = null;
            foreach (var token in operation.Syntax.DescendantTokens())
            {
                if (token.IsKind(SyntaxKind.IdentifierToken))
                    _reserved.Add(token.ValueText);
            }
            string hint = operation is IMemberReferenceOperation m ? Camel(m.Member.Name)
                : operation is IParameterReferenceOperation p ? p.Parameter.Name : "c";
            if (operation is IParameterReferenceOperation pr && _current.TryGetValue(pr.Parameter, out int input))
                return input;
            int id = NewValue(kind, Symbols.Display(type), hint, null, false, type.IsValueType);
            _instructions.Add(new Instruction(id, OpKind.Constant, operands, Text: text, IsLiteral: literal && operands.Count == 0,
                Source: Normalize(operation.Syntax.ToString()), Statement: _statement, Line: LineOf(operation.Syntax)));
            return id;
        }

        /// <summary>
        /// LG0011: a field or property of the element type T read in a forward is a constant: it gets no gradient,
        /// where a trainable scalar may have been meant. <c>[NoGrad]</c> on the member (or on an object on the way to
        /// it) says it is meant; reported once per member and method.
        /// </summary>
        private void ReportScalarConstants(IOperation operation)
        {
            if (_element is null)
                return;
            foreach (var node in operation.DescendantsAndSelf())
            {
                if (node is not IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } member || member.Member.IsStatic
                    || member.Member.IsImplicitlyDeclared)
                    continue;
                var memberType = member.Member is IFieldSymbol f ? f.Type : ((IPropertySymbol)member.Member).Type;
                if (!SymbolEqualityComparer.Default.Equals(memberType, _element) || Symbols.HasAttribute(member.Member, "NoGradAttribute"))
                    continue;
                bool frozen = false;
                for (var owner = member.Instance; owner is IMemberReferenceOperation o; owner = o.Instance)
                    frozen |= Symbols.HasAttribute(o.Member, "NoGradAttribute");
                if (frozen)
                    continue;
                string name = Normalize(member.Syntax.ToString());
                if (_scalarConstants.Add(member.Member.ToDisplayString()))
                    Report("LG0011", member.Syntax.GetLocation(), name, _method.Name);
            }
        }

        /// <summary>The operands a constant's text refers to, collected while rendering it (null outside <see cref="Constant"/>).</summary>
        private List<int>? _holes;

        /// <summary>Whether <see cref="Render"/> can write the expression: locals and reassigned parameters only where it rebuilds the text.</summary>
        private bool Renderable(IOperation operation)
        {
            if (operation.ConstantValue is { HasValue: true } && operation is ILiteralOperation)
                return true;
            if (_conditionValues is { } parsed && parsed.ContainsKey(operation))
                return true;
            switch (operation)
            {
                case IConversionOperation conversion:
                    return Renderable(conversion.Operand);
                case IParenthesizedOperation parenthesized:
                    return Renderable(parenthesized.Operand);
                case IParameterReferenceOperation or ILocalReferenceOperation:
                    return true;
                case IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } indexed } indexer:
                    return Renderable(indexed) && indexer.Arguments.All(a => a.ArgumentKind != ArgumentKind.DefaultValue && Renderable(a.Value));
                case IMemberReferenceOperation member when member.Member is IFieldSymbol or IPropertySymbol:
                    return member.Member.IsStatic || member.Instance is null or IInstanceReferenceOperation || Renderable(member.Instance);
                case IBinaryOperation binary when BinaryText(binary.OperatorKind) is not null:
                    return Renderable(binary.LeftOperand) && Renderable(binary.RightOperand);
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Minus or UnaryOperatorKind.Not } unary:
                    return Renderable(unary.Operand);
                case IInvocationOperation invocation when invocation.TargetMethod.IsStatic:
                    return invocation.Arguments.Where(a => a.ArgumentKind != ArgumentKind.DefaultValue).All(a => Renderable(a.Value));
                // Rendered fully qualified, holes or not: the generated file has no using directives.
                case IObjectCreationOperation { Initializer: null, Constructor: not null } creation:
                    return creation.Arguments.Where(a => a.ArgumentKind != ArgumentKind.DefaultValue).All(a => Renderable(a.Value));
                default:
                    // Rendered as written: only where it mentions no value by a generated name.
                    return !HasHole(operation) && (_conditionValues is not { } read || !operation.DescendantsAndSelf().Any(read.ContainsKey));
            }
        }

        /// <summary>A compile-time constant as C# of its type: <c>1</c>, <c>((float)0.5)</c>, <c>true</c>, <c>default(T)</c>.</summary>
        private static string ConstantLiteral(object? value, ITypeSymbol type) => value switch
        {
            null => $"default({Symbols.Display(type)})",
            bool b => b ? "true" : "false",
            double d when double.IsNaN(d) || double.IsInfinity(d) => $"(({Symbols.Display(type)})global::System.Double.{(double.IsNaN(d) ? "NaN" : d > 0 ? "PositiveInfinity" : "NegativeInfinity")})",
            float f when float.IsNaN(f) || float.IsInfinity(f) => $"(({Symbols.Display(type)})global::System.Single.{(float.IsNaN(f) ? "NaN" : f > 0 ? "PositiveInfinity" : "NegativeInfinity")})",
            int or string or char => SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false),
            _ => $"(({Symbols.Display(type)}){SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false)})",
        };

        /// <summary>The expression mentions a local or a reassigned parameter, whose generated name may differ.</summary>
        private bool HasHole(IOperation operation) => operation.DescendantsAndSelf().Any(o =>
            o is ILocalReferenceOperation
            || (o is IParameterReferenceOperation p && _current.TryGetValue(p.Parameter, out int now) && _inputs[p.Parameter] != now));

        /// <summary>
        /// Re-renders a constant expression as C# that compiles in the generated file (fully qualified). A local or a
        /// reassigned parameter becomes a hole (<see cref="ConstantText"/>) that the emitter fills with the value's name.
        /// </summary>
        private string Render(IOperation operation)
        {
            // An omitted optional argument (stride = 1) is an implicit literal whose syntax is the whole call: its value.
            if (operation is ILiteralOperation { IsImplicit: true, ConstantValue.HasValue: true, Type: { } implicitType }
                && operation.Syntax is not LiteralExpressionSyntax)
                return ConstantLiteral(operation.ConstantValue.Value, implicitType);
            if (operation.ConstantValue is { HasValue: true } && operation is ILiteralOperation)
                return operation.Syntax.ToString();
            if (_conditionValues is { } parsed && parsed.TryGetValue(operation, out int conditionValue))
                return Hole(conditionValue);
            switch (operation)
            {
                case IConversionOperation conversion:
                    return conversion.IsImplicit
                        ? Render(conversion.Operand)
                        : $"(({Symbols.Display(conversion.Type!)}){Render(conversion.Operand)})";
                case IParenthesizedOperation parenthesized:
                    return Render(parenthesized.Operand);
                case IParameterReferenceOperation parameter when _current.TryGetValue(parameter.Parameter, out int now) && now != _inputs[parameter.Parameter]:
                    return Hole(now);
                case IParameterReferenceOperation parameter:
                    return parameter.Parameter.Name;
                case ILocalReferenceOperation local when _locals.TryGetValue(local.Local, out int bound):
                    return Hole(bound);
                case IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } indexed } indexer:
                    return $"{Render(indexed)}[{string.Join(", ", indexer.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).Select(a => Render(a.Value)))}]";
                case IMemberReferenceOperation member when member.Member is IFieldSymbol or IPropertySymbol:
                    if (member.Member.IsStatic)
                        return $"{Symbols.Display(member.ConstrainedToType ?? member.Member.ContainingType)}.{member.Member.Name}";
                    return member.Instance is null or IInstanceReferenceOperation
                        ? (_method.IsStatic ? member.Member.Name : "this." + member.Member.Name)
                        : $"{Render(member.Instance)}.{member.Member.Name}";
                case IBinaryOperation binary when BinaryText(binary.OperatorKind) is { } op:
                    return $"({Render(binary.LeftOperand)} {op} {Render(binary.RightOperand)})";
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Minus } unary:
                    return $"(-{Render(unary.Operand)})";
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } unary:
                    return $"(!{Render(unary.Operand)})";
                case IInvocationOperation invocation when invocation.TargetMethod.IsStatic:
                {
                    var target = invocation.TargetMethod;
                    // A static abstract member (TElement.CreateChecked) is called on the type parameter, not the interface.
                    var container = invocation.ConstrainedToType ?? target.ContainingType;
                    string receiver = container is null ? "" : Symbols.Display(container) + ".";
                    var ordered = invocation.Arguments.Where(a => a.ArgumentKind != ArgumentKind.DefaultValue).OrderBy(a => a.Parameter?.Ordinal ?? 0);
                    string typeArgs = target.IsGenericMethod && !target.TypeArguments.Any(t => t is IErrorTypeSymbol)
                        ? "<" + string.Join(", ", target.TypeArguments.Select(Symbols.Display)) + ">" : "";
                    return $"{receiver}{target.Name}{typeArgs}({string.Join(", ", ordered.Select(a => Render(a.Value)))})";
                }
                case IObjectCreationOperation { Initializer: null, Constructor: not null } creation:
                {
                    var ordered = creation.Arguments.Where(a => a.ArgumentKind != ArgumentKind.DefaultValue).OrderBy(a => a.Parameter?.Ordinal ?? 0);
                    return $"new {Symbols.Display(creation.Type!)}({string.Join(", ", ordered.Select(a => Render(a.Value)))})";
                }
                default:
                    return "(" + operation.Syntax.ToString() + ")";
            }
        }

        private string Hole(int value)
        {
            var holes = _holes ??= new List<int>();
            holes.Add(value);
            return ConstantText.Hole(holes.Count - 1);
        }

        private static string? BinaryText(BinaryOperatorKind kind) => kind switch
        {
            BinaryOperatorKind.Add => "+",
            BinaryOperatorKind.Subtract => "-",
            BinaryOperatorKind.Multiply => "*",
            BinaryOperatorKind.Divide => "/",
            BinaryOperatorKind.Remainder => "%",
            // conditions
            BinaryOperatorKind.Equals => "==",
            BinaryOperatorKind.NotEquals => "!=",
            BinaryOperatorKind.LessThan => "<",
            BinaryOperatorKind.LessThanOrEqual => "<=",
            BinaryOperatorKind.GreaterThan => ">",
            BinaryOperatorKind.GreaterThanOrEqual => ">=",
            BinaryOperatorKind.ConditionalAnd => "&&",
            BinaryOperatorKind.ConditionalOr => "||",
            BinaryOperatorKind.And => "&",
            BinaryOperatorKind.Or => "|",
            BinaryOperatorKind.ExclusiveOr => "^",
            _ => null,
        };

        private static bool IsTransparent(IConversionOperation conversion) =>
            conversion.Operand.Type is { } from && conversion.Type is { } to
            && (SymbolEqualityComparer.Default.Equals(from, to) || (conversion.Conversion.IsIdentity) || (conversion.Conversion.IsReference && conversion.IsImplicit));

        // ------------------------------------------------------------------ helpers

        private int Emit(OpKind op, IOperation operation, string hint, params int[] operands) =>
            Emit(op, operation.Syntax, hint, operands);

        private int Emit(OpKind op, SyntaxNode syntax, string hint, params int[] operands) =>
            Emit(op, syntax, hint, operands, false, false, -1);

        private int Emit(OpKind op, SyntaxNode syntax, string hint, int[] operands, bool transposeA = false, bool transposeB = false, int axis = -1)
        {
            var kind = ResultKind(op);
            bool varied = false;
            foreach (int operand in operands)
                varied |= _values[operand].IsVaried;
            string type = kind == ValueKind.Matrix ? $"global::LayerGen.Matrix<{_elementText}>" : _elementText;
            int id = NewValue(kind, type, hint, null, varied);
            _instructions.Add(new Instruction(id, op, operands.ToEquatableArray(), transposeA, transposeB, axis,
                Source: Normalize(syntax.ToString()), Statement: _statement, Line: LineOf(syntax)));
            _spans[id] = SpanOf(syntax);
            return id;
        }

        private static ValueKind ResultKind(OpKind op) => op switch
        {
            OpKind.Sum or OpKind.Mean or OpKind.SumOfSquares or OpKind.Dot or OpKind.SoftmaxCrossEntropy or OpKind.MeanSquaredError
                or OpKind.BinaryCrossEntropyWithLogits or OpKind.ScalarAdd or OpKind.ScalarSub or OpKind.ScalarMul
                or OpKind.ScalarDiv or OpKind.ScalarNeg => ValueKind.Scalar,
            _ => ValueKind.Matrix,
        };

        private static string HintFor(OpKind op) => op switch
        {
            OpKind.SoftmaxCrossEntropy => "crossEntropy",
            OpKind.MeanSquaredError => "squaredError",
            OpKind.BinaryCrossEntropyWithLogits => "binaryCrossEntropy",
            OpKind.SumAxis => "sums",
            OpKind.MeanAxis => "means",
            OpKind.AddScalar => "shifted",
            OpKind.Add => "sum",
            OpKind.Sub => "difference",
            OpKind.Mul => "product",
            OpKind.Div => "quotient",
            OpKind.SliceRows or OpKind.SliceColumns => "slice",
            _ => Camel(op.ToString()),
        };

        private int NewValue(ValueKind kind, string type, string name, Shape? shape, bool varied, bool valueType = false)
        {
            int id = _values.Count;
            _values.Add(new ValueInfo(id, kind, type, name, shape, varied, valueType || kind == ValueKind.Scalar));
            return id;
        }

        /// <summary>Problems that are warnings: the method is still generated.</summary>
        private static bool IsWarning(string id) => id is "LG0005" or "LG0011";

        private int Unsupported(SyntaxNode syntax, string construct)
        {
            Report("LG0002", syntax.GetLocation(), construct);
            return -1;
        }

        private void Report(string id, Location? location, params string[] args)
        {
            string path = location?.SourceTree?.FilePath ?? "";
            var span = location?.SourceSpan ?? default;
            _problems.Add(new Problem(id, args.ToEquatableArray(), path, span.Start, span.Length));
        }

        private static (string, int, int) SpanOf(SyntaxNode syntax) => (syntax.SyntaxTree.FilePath, syntax.Span.Start, syntax.Span.Length);

        private static int LineOf(SyntaxNode syntax) =>
            syntax.SyntaxTree.GetLineSpan(syntax.Span).StartLinePosition.Line + 1;

        private static string Camel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name.Substring(1);

        /// <summary>One line, single spaces: how a user's code appears in a generated comment.</summary>
        private static string Normalize(string text)
        {
            var builder = new StringBuilder(text.Length);
            bool space = false;
            foreach (char c in text)
            {
                if (char.IsWhiteSpace(c))
                {
                    space = builder.Length > 0;
                    continue;
                }
                if (space)
                    builder.Append(' ');
                space = false;
                builder.Append(c);
            }
            return builder.ToString();
        }

        private static string ConstructName(IOperation operation)
        {
            string name = operation.Syntax switch
            {
                IfStatementSyntax => "an 'if' statement",
                ForStatementSyntax => "a 'for' loop",
                ForEachStatementSyntax => "a 'foreach' loop",
                WhileStatementSyntax => "a 'while' loop",
                DoStatementSyntax => "a 'do' loop",
                SwitchStatementSyntax => "a 'switch' statement",
                SwitchExpressionSyntax => "a switch expression",
                ConditionalExpressionSyntax => "a conditional expression ('?:')",
                TryStatementSyntax => "a 'try' statement",
                ThrowStatementSyntax or ThrowExpressionSyntax => "'throw'",
                LocalFunctionStatementSyntax => "a local function",
                LambdaExpressionSyntax => "a lambda",
                ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax => "object creation ('new')",
                AssignmentExpressionSyntax => "an assignment to something other than a local",
                ElementAccessExpressionSyntax => "element access ('[...]')",
                UsingStatementSyntax => "a 'using' statement",
                _ => "",
            };
            if (name.Length > 0)
                return name;
            string text = Normalize(operation.Syntax.ToString());
            if (text.Length > 60)
                text = text.Substring(0, 57) + "...";
            return $"'{text}'";
        }
    }
}
