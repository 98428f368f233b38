using System.Collections.Generic;
using System.Linq;
using LayerGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LayerGen.Generator.Parsing;

// Sequence results (DESIGN.md §7): a [Forward] returning IReadOnlyList<Matrix<T>> builds it as
//     var ys = new List<Matrix<T>>();  for (…) { …; ys.Add(y); }  return ys;
// The list is an output of the loop: each iteration's item is one more result of the loop body's region, and the loop
// result is the list of items (kept on the tape, reused). The backward takes one ∂L/∂item per item and hands each to
// the iteration that produced it. The list may be filled by one loop, with one Add per iteration at the top of its
// body, and only returned: anything else is reported.
internal static partial class ForwardParser
{
    private sealed partial class BodyParser
    {
        /// <summary>Output lists declared in this method: the list → its value after the loop that fills it (−1 before).</summary>
        private readonly Dictionary<ILocalSymbol, int> _outputLists = new(SymbolEqualityComparer.Default);

        /// <summary>A loop body: the output lists it adds to, and the item each Add added (−1 until parsed).</summary>
        private Dictionary<ILocalSymbol, int>? _emitted;

        /// <summary><c>new List&lt;Matrix&lt;T&gt;&gt;()</c> (or with a capacity).</summary>
        private bool IsNewOutputList(IOperation value) =>
            value is IObjectCreationOperation { Type: INamedTypeSymbol { Name: "List", Arity: 1 } list, Initializer: null } creation
            && Symbols.MatrixElement(list.TypeArguments[0]) is not null
            && list.ContainingNamespace.ToDisplayString() == "System.Collections.Generic"
            && creation.Arguments.All(a => a.Value.Type?.SpecialType == SpecialType.System_Int32);

        private void DeclareOutputList(ILocalSymbol list, IOperation creation)
        {
            if (_region is not null)
            {
                Unsupported(creation.Syntax, $"a list of results declared inside a loop or branch ('{list.Name}'; declare it before the loop that fills it)");
                return;
            }
            _outputLists[list] = -1;
        }

        private bool IsOutputList(ILocalSymbol local) =>
            _outputLists.ContainsKey(local) || (_emitted?.ContainsKey(local) ?? false);

        /// <summary><c>ys.Add(y)</c>: inside the loop that fills <c>ys</c>, the item of this iteration.</summary>
        private void AddToOutputList(IOperation statement, ILocalSymbol list, IInvocationOperation add)
        {
            _statement = Normalize(statement.Syntax.ToString().TrimEnd(';'));
            if (_emitted is null || !_emitted.TryGetValue(list, out int item))
            {
                Unsupported(statement.Syntax, $"'{list.Name}.Add' outside a loop (a list of results is filled by one loop, one Add per iteration)");
                return;
            }
            if (item >= 0)
            {
                Unsupported(statement.Syntax, $"a second '{list.Name}.Add' in one iteration (a list of results gets one item per iteration)");
                return;
            }
            if (add.Arguments.Length != 1)
            {
                Unsupported(statement.Syntax, $"'{list.Name}.Add' with other than one argument");
                return;
            }
            int start = _values.Count;
            int value = Parse(add.Arguments[0].Value);
            if (value < 0)
                return;
            if (_values[value].Kind != ValueKind.Matrix)
            {
                Unsupported(statement.Syntax, $"adding a '{_values[value].TypeName}' to '{list.Name}'");
                return;
            }
            Rename(value, start, list.Name + "Item");
            _emitted[list] = value;
        }

        /// <summary>
        /// The output lists a loop body adds to (each once, at the top of the body), or null after an error (reported).
        /// </summary>
        private List<ILocalSymbol>? LoopEmits(IOperation loop, IOperation loopBody)
        {
            var emits = new List<ILocalSymbol>();
            foreach (var node in loopBody.DescendantsAndSelf())
            {
                if (node is not IInvocationOperation { TargetMethod.Name: "Add", Instance: ILocalReferenceOperation list } add || !_outputLists.ContainsKey(list.Local))
                    continue;
                // At the top of the body: the statement's parent is the body (or its block), not a branch or an inner loop.
                bool top = add.Parent is IExpressionStatementOperation statement
                    && (statement == loopBody || statement.Parent == loopBody);
                if (!top)
                {
                    Unsupported(add.Syntax, $"'{list.Local.Name}.Add' inside a branch or an inner loop (a list of results gets exactly one item per iteration of the loop that fills it)");
                    return null;
                }
                if (_outputLists[list.Local] >= 0)
                {
                    Unsupported(loop.Syntax, $"a second loop adding to '{list.Local.Name}' (one loop fills a list of results)");
                    return null;
                }
                if (!emits.Contains(list.Local, SymbolEqualityComparer.Default))
                    emits.Add(list.Local);
            }
            return emits;
        }

        /// <summary>Each output list is returned and read nowhere else; the method returns one only if a loop filled it.</summary>
        private bool CheckOutputLists(IOperation body, int result)
        {
            foreach (var pair in _outputLists)
            {
                if (pair.Value < 0)
                {
                    var mention = body.DescendantsAndSelf().OfType<ILocalReferenceOperation>().FirstOrDefault(l => SymbolEqualityComparer.Default.Equals(l.Local, pair.Key));
                    if (mention is not null && mention.Parent is IReturnOperation)
                    {
                        Unsupported(mention.Syntax, $"returning '{pair.Key.Name}', which no loop fills (fill it with one Add per iteration of a loop)");
                        return false;
                    }
                    continue;
                }
                if (pair.Value != result)
                {
                    Unsupported(body.Syntax, $"a list of results '{pair.Key.Name}' that the method does not return");
                    return false;
                }
                if (_instructions.Any(i => i.Operands.Contains(pair.Value)))
                {
                    Unsupported(body.Syntax, $"reading the list of results '{pair.Key.Name}' after the loop that fills it (return it; use the values inside the loop)");
                    return false;
                }
            }
            if (_values[result].Kind == ValueKind.Sequence && !_outputLists.ContainsValue(result))
            {
                Unsupported(body.Syntax, "returning a sequence other than a list of results filled by a loop ('var ys = new List<Matrix<T>>(); for (…) ys.Add(…); return ys;')");
                return false;
            }
            return true;
        }
    }
}
