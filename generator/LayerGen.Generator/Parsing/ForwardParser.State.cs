using System.Collections.Generic;
using System.Linq;
using LayerGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LayerGen.Generator.Parsing;

// Layer state (DESIGN.md §8): assignments to [NoGrad] members of the layer inside a [Forward] (batch-norm running
// statistics, a step counter) run in the training forward exactly as written and are never differentiated. A matrix
// member is updated in place (Matrix<T>.Store: no allocation once it has its shape, and never an alias of a tape
// buffer); a read of a member the method updates is a snapshot in a tape buffer, so that an update in place after it
// cannot change a value the backward reads.
internal static partial class ForwardParser
{
    private sealed partial class BodyParser
    {
        /// <summary>The members of this layer the method assigns (state); null until the body is scanned.</summary>
        private HashSet<ISymbol>? _stateMembers;

        /// <summary>
        /// The state members (of type Matrix&lt;T&gt; or T) this path of the forward has updated so far: reading one
        /// after the update would read a value that depends on differentiable values without carrying their gradient.
        /// </summary>
        private HashSet<ISymbol> _updated = new(SymbolEqualityComparer.Default);

        /// <summary>Finds every member of this layer the body assigns or a destination-form call writes into.</summary>
        private void FindStateMembers(IOperation body) => _stateMembers = StateMembersOf(body);

        /// <summary>The members of this layer <paramref name="body"/> assigns or writes into with a destination-form call.</summary>
        private static HashSet<ISymbol> StateMembersOf(IOperation body)
        {
            var state = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            foreach (var node in body.DescendantsAndSelf())
            {
                var target = node switch
                {
                    IAssignmentOperation a => a.Target,
                    IIncrementOrDecrementOperation i => i.Target,
                    _ => null,
                };
                if (target is IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } member && IsThis(member.Instance))
                    state.Add(member.Member);
                if (node is IInvocationOperation { TargetMethod.ReturnsVoid: true } call)
                {
                    foreach (int position in RegisteredOps.DestinationPositions(call.TargetMethod))
                    {
                        var argument = call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == position)?.Value;
                        while (argument is IConversionOperation c)
                            argument = c.Operand;
                        if (argument is IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } written && IsThis(written.Instance))
                            state.Add(written.Member);
                    }
                }
            }
            return state;
        }

        /// <summary>
        /// A read of a state member of type Matrix&lt;T&gt; or T after this path updated it: reported (the update is never
        /// differentiated, so the value read would silently carry no gradient of what it was computed from).
        /// </summary>
        private bool ReadsUpdatedState(IOperation operation)
        {
            // What a state update computes only feeds the state, which nothing differentiates: it may read anything.
            if (_updated.Count == 0 || _inStateUpdate)
                return false;
            foreach (var node in operation.DescendantsAndSelf())
            {
                if (node is IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } member && IsThis(member.Instance)
                    && _updated.Contains(member.Member) && Symbols.KindOf(member.Type, _element) is ValueKind.Matrix or ValueKind.Scalar)
                {
                    Unsupported(member.Syntax, $"reading '{member.Member.Name}' after this forward updated it (a state update is never differentiated, so the value would carry no gradient of what it was computed from; read the value you stored instead)");
                    return true;
                }
            }
            return false;
        }

        /// <summary>Set while the value of a state update is parsed.</summary>
        private bool _inStateUpdate;

        /// <summary>Marks a member this path has now updated.</summary>
        private void Updated(ISymbol member)
        {
            if (Symbols.KindOf(member is IFieldSymbol f ? f.Type : ((IPropertySymbol)member).Type, _element) is ValueKind.Matrix or ValueKind.Scalar)
                _updated.Add(member);
        }

        /// <summary>A read of a matrix member the method updates: a snapshot, never the live member.</summary>
        private bool IsStateRead(IOperation operation) =>
            operation is IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } member && IsThis(member.Instance)
            && _stateMembers is { } state && state.Contains(member.Member) && Symbols.MatrixElement(member.Type) is not null
            && !Symbols.IsTrainable(member.Member, _element);

        private int StateRead(IMemberReferenceOperation member)
        {
            string path = (_method.IsStatic ? "" : "this.") + member.Member.Name;
            int id = NewValue(ValueKind.Matrix, Symbols.Display(member.Type!), Camel(member.Member.Name), null, false);
            _instructions.Add(new Instruction(id, OpKind.StateRead, EquatableArray<int>.Empty, Text: path,
                Source: Normalize(member.Syntax.ToString()), Statement: _statement, Line: LineOf(member.Syntax)));
            _spans[id] = SpanOf(member.Syntax);
            return id;
        }

        /// <summary>
        /// <c>Member = …</c>, <c>Member += …</c>, <c>Member++</c> on a <c>[NoGrad]</c> member of this layer: a state update.
        /// </summary>
        private void StateAssignment(IOperation statement, IOperation assignment, IMemberReferenceOperation target)
        {
            bool outer = _inStateUpdate;
            _inStateUpdate = true;
            try
            {
                StateAssignmentCore(statement, assignment, target);
            }
            finally
            {
                _inStateUpdate = outer;
            }
        }

        private void StateAssignmentCore(IOperation statement, IOperation assignment, IMemberReferenceOperation target)
        {
            _statement = Normalize(statement.Syntax.ToString().TrimEnd(';'));
            var member = target.Member;
            if (!IsThis(target.Instance) || member is not (IFieldSymbol or IPropertySymbol) || member.IsStatic)
            {
                Unsupported(statement.Syntax, "an assignment to something other than a local or a [NoGrad] member of this layer");
                return;
            }
            if (Symbols.IsTrainable(member, _element))
            {
                Unsupported(statement.Syntax, $"assigning the trainable parameter '{member.Name}' in a forward (LayerGen differentiates it; a member the forward updates, such as a running statistic, must be [NoGrad])");
                return;
            }
            string path = (_method.IsStatic ? "" : "this.") + member.Name;
            if (Symbols.MatrixElement(target.Type) is not null)
            {
                if (assignment is IIncrementOrDecrementOperation)
                {
                    Unsupported(statement.Syntax, $"'++' or '--' on the matrix '{member.Name}'");
                    return;
                }
                int start = _values.Count;
                int value;
                if (assignment is ICompoundAssignmentOperation compound)
                {
                    int left = StateRead(target);
                    int right = Parse(compound.Value);
                    value = right < 0 ? -1 : Binary(compound.OperatorKind, compound.OperatorMethod, left, right, compound.Syntax);
                }
                else
                {
                    value = Parse(((ISimpleAssignmentOperation)assignment).Value);
                }
                if (value < 0)
                    return;
                Rename(value, start, Camel(member.Name) + "Next");
                // Stored by copy: the member never aliases a tape buffer that the next step overwrites.
                string type = Symbols.Display(target.Type!);
                EmitStateUpdate($"{path} = {type}.Store({path}, {ConstantText.Hole(0)})", new[] { value }, statement.Syntax);
                Updated(member);
                return;
            }

            // Any other type (a T, an int counter): the statement as written, with the forward values it reads as holes.
            var parsed = new Dictionary<IOperation, int>();
            var assignedValue = assignment switch
            {
                IAssignmentOperation a => a.Value,
                _ => null,
            };
            if (assignedValue is not null && !CollectValues(assignedValue, parsed))
                return;
            _conditionValues = parsed;
            try
            {
                if (assignedValue is not null && (!IsConstantTree(assignedValue) || !Renderable(assignedValue)))
                {
                    Unsupported(statement.Syntax, $"the state update '{_statement}' (its value may combine forward values with operators and calls that return no matrix)");
                    return;
                }
                _holes = new List<int>();
                string text = assignment switch
                {
                    ISimpleAssignmentOperation s => $"{path} = {Render(s.Value)}",
                    ICompoundAssignmentOperation c when CompoundText(c.OperatorKind) is { } op => $"{path} {op} {Render(c.Value)}",
                    IIncrementOrDecrementOperation { Kind: OperationKind.Increment } => path + "++",
                    IIncrementOrDecrementOperation => path + "--",
                    _ => "",
                };
                var holes = _holes;
                _holes = null;
                if (text.Length == 0)
                {
                    Unsupported(statement.Syntax, $"the compound assignment '{_statement}'");
                    return;
                }
                EmitStateUpdate(text, holes.ToArray(), statement.Syntax);
                Updated(member);
            }
            finally
            {
                _conditionValues = null;
                _holes = null;
            }
        }

        /// <summary><c>Ops.Add(a, b, RunningMean)</c>: a destination-form op writing into state members only.</summary>
        private bool StateCall(IOperation statement, IInvocationOperation call)
        {
            bool outer = _inStateUpdate;
            _inStateUpdate = true;
            try
            {
                return StateCallCore(statement, call);
            }
            finally
            {
                _inStateUpdate = outer;
            }
        }

        private bool StateCallCore(IOperation statement, IInvocationOperation call)
        {
            var destinations = RegisteredOps.DestinationPositions(call.TargetMethod);
            if (destinations.Count == 0)
                return false;
            _statement = Normalize(statement.Syntax.ToString().TrimEnd(';'));
            foreach (int position in destinations)
            {
                var argument = call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == position)?.Value;
                while (argument is IConversionOperation c)
                    argument = c.Operand;
                if (argument is not IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } member || !IsThis(member.Instance)
                    || Symbols.IsTrainable(member.Member, _element))
                {
                    Unsupported(statement.Syntax, $"'{call.TargetMethod.Name}' writing into '{argument?.Syntax}' (a forward may write only into [NoGrad] members of its layer: its other values are the graph LayerGen differentiates)");
                    return true;
                }
            }
            var parsed = new Dictionary<IOperation, int>();
            foreach (var argument in call.Arguments)
            {
                if (argument.ArgumentKind == ArgumentKind.DefaultValue)
                    continue;
                if (destinations.Contains(argument.Parameter?.Ordinal ?? -1))
                    continue; // written, not read: rendered as the member itself
                if (!CollectValues(argument.Value, parsed))
                    return true;
            }
            _conditionValues = parsed;
            try
            {
                if (!IsConstantTree(call) && !call.Arguments.All(a => parsed.ContainsKey(a.Value) || IsConstantTree(a.Value)))
                {
                    Unsupported(statement.Syntax, $"the state update '{_statement}'");
                    return true;
                }
                _holes = new List<int>();
                string text = Render(call);
                var holes = _holes;
                _holes = null;
                EmitStateUpdate(text, holes.ToArray(), statement.Syntax);
                foreach (int position in destinations)
                {
                    var argument = call.Arguments.First(a => a.Parameter?.Ordinal == position).Value;
                    while (argument is IConversionOperation c)
                        argument = c.Operand;
                    Updated(((IMemberReferenceOperation)argument).Member);
                }
            }
            finally
            {
                _conditionValues = null;
                _holes = null;
            }
            return true;
        }

        /// <summary>Parses the sub-expressions of type Matrix&lt;T&gt; or T that are no constants as forward values.</summary>
        private bool CollectValues(IOperation node, Dictionary<IOperation, int> parsed)
        {
            if (Symbols.KindOf(node.Type, _element) is ValueKind.Matrix or ValueKind.Scalar && !IsConstant(node))
            {
                int value = Parse(node);
                if (value < 0)
                    return false;
                parsed[node] = value;
                return true;
            }
            foreach (var child in node.ChildOperations)
            {
                if (!CollectValues(child, parsed))
                    return false;
            }
            return true;
        }

        private void EmitStateUpdate(string text, int[] operands, SyntaxNode syntax)
        {
            int id = NewValue(ValueKind.Other, "void", "update", null, false);
            _instructions.Add(new Instruction(id, OpKind.StateUpdate, operands.ToEquatableArray(), Text: text,
                Source: _statement, Statement: _statement, Line: LineOf(syntax)));
            _spans[id] = SpanOf(syntax);
        }

        private static string? CompoundText(BinaryOperatorKind kind) => kind switch
        {
            BinaryOperatorKind.Add => "+=",
            BinaryOperatorKind.Subtract => "-=",
            BinaryOperatorKind.Multiply => "*=",
            BinaryOperatorKind.Divide => "/=",
            _ => null,
        };
    }
}
