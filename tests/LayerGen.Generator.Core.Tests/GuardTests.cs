using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace LayerGen.Generator.Core.Tests;

/// <summary>
/// One test per LG0002/LG0003 guard of <c>ForwardParser</c>: the exact diagnostic id, the exact span (marked
/// <c>[|…|]</c> in the source), the reason the message gives, and no generated file for that method (never a silent
/// fallback). Each fails when its guard is deleted: the parser then accepts the construct (and the generator writes a
/// file, usually a wrong one) or another guard reports at another place.
/// </summary>
public class GuardTests
{
    private const string Header = """
        using LayerGen;

        namespace Guards;

        """;

    /// <summary>The source without the markers, and the span between them.</summary>
    private static (string Source, TextSpan Span) Markup(string markup)
    {
        string text = Header + markup;
        int start = text.IndexOf("[|", StringComparison.Ordinal);
        int end = text.IndexOf("|]", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "the source marks the expected span with [|…|]");
        string source = text.Remove(end, 2).Remove(start, 2);
        return (source, new TextSpan(start, end - start - 2));
    }

    /// <summary>
    /// Runs the generator and the analyzer; asserts exactly one LG0002/LG0003, with <paramref name="id"/>, at the marked
    /// span, whose message contains <paramref name="reason"/>; and that nothing was generated for
    /// <c>Guards.<paramref name="type"/>.<paramref name="method"/></c>.
    /// </summary>
    private static CompileResult AssertGuard(string markup, string id, string reason, string type, string method = "Forward",
        bool compiles = true, IEnumerable<MetadataReference>? references = null)
    {
        var (source, span) = Markup(markup);
        var result = TestCompiler.Run(references ?? [], source);
        Assert.Empty(result.GeneratorDiagnostics);
        var usage = result.AnalyzerDiagnostics.Where(d => d.Id is "LG0002" or "LG0003").ToList();
        string all = string.Join("\n", result.AnalyzerDiagnostics.Select(d => $"{d} [{d.Location.SourceSpan}]"));
        var diagnostic = Assert.Single(usage);
        Assert.True(diagnostic.Id == id, $"expected {id}, got:\n{all}");
        Assert.True(diagnostic.Location.SourceSpan == span,
            $"expected the span {span} '{source.Substring(span.Start, span.Length)}', got {diagnostic.Location.SourceSpan} " +
            $"'{diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan)}'\n{all}");
        Assert.True(diagnostic.GetMessage().Contains(reason, StringComparison.Ordinal), $"'{reason}' not in '{diagnostic.GetMessage()}'");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        string hint = $"Guards.{type}.{method}.g.cs";
        Assert.False(result.Generated.ContainsKey(hint), $"{hint} was generated for a method with {id}:\n{result.Dump()}");
        Assert.DoesNotContain(result.Generated.Keys, k => k.StartsWith($"Guards.{type}.{method}.", StringComparison.Ordinal));
        if (compiles)
        {
            // The user's code is valid C#: only the guard stands between it and a generated (wrong) backward.
            Assert.DoesNotContain(result.Output.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree?.FilePath == "Layer0.cs");
        }
        return result;
    }

    // ------------------------------------------------------------------ the three guards the issue found untested

    [Fact]
    public void LeakyRelu_slope_that_depends_on_an_input()
    {
        AssertGuard("""
            public partial class Leaky
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x, float slope) => Ops.LeakyRelu(x * W, [|slope|]);
            }
            """, "LG0002", "as 'negativeSlope' of Ops.LeakyRelu: that parameter is [NoGrad] (it gets no gradient) but the value depends on a parameter or input", "Leaky");
    }

    [Fact]
    public void LeakyRelu_slope_that_depends_on_a_parameter()
    {
        AssertGuard("""
            public partial class LeakyLearned
            {
                public Matrix<float> W = new(2, 2);
                public Matrix<float> S = new(1, 1);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => Ops.LeakyRelu(x * W, [|Ops.Sum(S)|]);
            }
            """, "LG0002", "as 'negativeSlope' of Ops.LeakyRelu: that parameter is [NoGrad] (it gets no gradient) but the value depends on a parameter or input", "LeakyLearned");
    }

    [Fact]
    public void Labels_that_depend_on_an_input()
    {
        // Labels can only depend on an input through a [Forward] call returning int[], which is itself LG0004: the call
        // of a callee with errors is reported at the labels (its generated members do not exist), and nothing is generated.
        var result = AssertGuard("""
            public partial class Labelled
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public int[] Labels(Matrix<float> x) => new int[x.Rows];

                [Forward]
                public float Forward(Matrix<float> x) => Losses.SoftmaxCrossEntropy(x * W, [|Labels(x)|]);
            }
            """, "LG0002", "a call of 'Labelled.Labels', which has errors of its own", "Labelled");
        Assert.Contains(result.AnalyzerDiagnostics, d => d.Id == "LG0004");
    }

    [Fact]
    public void Destination_passing_form_of_a_loss()
    {
        // The Ops destination forms return void, so they can only be statements (the statement guard reports those,
        // below); Losses.SoftmaxCrossEntropy(logits, labels, probabilities) returns the loss and reaches this guard.
        AssertGuard("""
            public partial class Destination
            {
                public Matrix<float> W = new(2, 2);
                [NoGrad] public Matrix<float> Probabilities = new(2, 2);

                [Forward]
                public float Forward(Matrix<float> x, [NoGrad] int[] labels) => [|Losses.SoftmaxCrossEntropy(x * W, labels, Probabilities)|];
            }
            """, "LG0002", "the destination-passing form of Losses.SoftmaxCrossEntropy", "Destination");
    }

    [Fact]
    public void Destination_passing_form_of_a_user_op()
    {
        // Bound by the overload relation to the op's descriptor, not by parameter names: any op's destination form.
        AssertGuard("""
            public static class MyOps
            {
                [Differentiable(Backward = nameof(TwiceBackward))]
                public static Matrix<float> Twice(Matrix<float> x) => x * 2f;
                public static Matrix<float> Twice(Matrix<float> x, Matrix<float> into) => into;
                public static Matrix<float> TwiceBackward(Matrix<float> x, Matrix<float> dResult) => dResult * 2f;
            }

            public partial class UserDestination
            {
                public Matrix<float> W = new(2, 2);
                [NoGrad] public Matrix<float> Buffer = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => [|MyOps.Twice(x * W, Buffer)|];
            }
            """, "LG0002", "the destination-passing form of MyOps.Twice (call the allocating form MyOps.Twice(Matrix<float> x)", "UserDestination");
    }

    [Fact]
    public void State_written_by_a_destination_form_then_read_back()
    {
        AssertGuard("""
            public partial class DestinationOp
            {
                public Matrix<float> W = new(2, 2);
                [NoGrad] public Matrix<float> Buffer = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x)
                {
                    Ops.Relu(x * W, Buffer);
                    return [|Buffer|];
                }
            }
            """, "LG0002", "reading 'Buffer' after this forward updated it", "DestinationOp");
    }

    // ------------------------------------------------------------------ library ops

    [Fact]
    public void MatMul_transpose_flag_that_is_not_constant()
    {
        AssertGuard("""
            public partial class Flag
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x, bool transpose) => [|Ops.MatMul(x, W, transpose, false)|];
            }
            """, "LG0002", "a transpose flag of Ops.MatMul that is not a compile-time constant", "Flag");
    }

    [Fact]
    public void Axis_that_is_not_constant()
    {
        AssertGuard("""
            public partial class Axis
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x, int axis) => [|Ops.Sum(x * W, axis)|];
            }
            """, "LG0002", "an axis of Ops.Sum that is not the constant 0 or 1", "Axis");
    }

    [Fact]
    public void Axis_that_is_a_constant_other_than_0_or_1()
    {
        AssertGuard("""
            public partial class AxisTwo
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => [|Ops.Concat(x * W, x, 2)|];
            }
            """, "LG0002", "an axis of Ops.Concat that is not the constant 0 or 1", "AxisTwo");
    }

    [Fact]
    public void Call_without_a_derivative_is_LG0003()
    {
        AssertGuard("""
            public static class Helpers
            {
                public static Matrix<float> Twice(Matrix<float> m) => m + m;
            }

            public partial class Helped
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => [|Helpers.Twice(x * W)|];
            }
            """, "LG0003", "Helpers.Twice", "Helped");
    }

    // ------------------------------------------------------------------ expressions

    [Fact]
    public void Element_access()
    {
        AssertGuard("""
            public partial class Element
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public float Forward(Matrix<float> x) => Ops.Sum(x * W) + [|x[0, 0]|];
            }
            """, "LG0002", "element access ('[...]')", "Element");
    }

    [Fact]
    public void Unary_operator_on_the_result_of_a_callee_with_errors()
    {
        // Matrices and T only have unary + and -; another operator could only reach the parser on a value of another
        // type that depends on the input, i.e. the int result of a [Forward] call, itself LG0004: the call is reported
        // first (the unary-operator guard stays as a second line of defence).
        var result = AssertGuard("""
            public partial class Unary
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public int Count(Matrix<float> x) => x.Rows;

                [Forward]
                public Matrix<float> Scaled(Matrix<float> x, int k) => x * W;

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => Scaled(x, ~[|Count(x)|]);
            }
            """, "LG0002", "a call of 'Unary.Count', which has errors of its own", "Unary");
        Assert.Contains(result.AnalyzerDiagnostics, d => d.Id == "LG0004");
    }

    [Fact]
    public void Conditional_expression_of_an_int_that_depends_on_a_gradient()
    {
        AssertGuard("""
            public partial class Conditional
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x)
                {
                    int k = [|Ops.Sum(x * W) > 0 ? 1 : 2|];
                    return x * W;
                }
            }
            """, "LG0002", "a conditional expression of type 'int' that depends on a differentiable value", "Conditional");
    }

    [Fact]
    public void Assigning_a_trainable_parameter_in_a_forward()
    {
        AssertGuard("""
            public partial class Overwrite
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x)
                {
                    [|W = x * W;|]
                    return x * W;
                }
            }
            """, "LG0002", "assigning the trainable parameter 'W' in a forward", "Overwrite");
    }

    [Fact]
    public void A_destination_form_writing_into_a_value_of_the_graph()
    {
        AssertGuard("""
            public partial class WriteIntoLocal
            {
                public Matrix<float> W = new(2, 2);
                [NoGrad] public Matrix<float> Total = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x)
                {
                    var h = x * W;
                    [|Ops.Add(h, x, h);|]
                    return h;
                }
            }
            """, "LG0002", "'Add' writing into 'h'", "WriteIntoLocal");
    }

    [Fact]
    public void State_assigned_in_a_branch_then_read_after_it()
    {
        AssertGuard("""
            public partial class ReadBack
            {
                public Matrix<float> W = new(2, 2);
                [NoGrad] public Matrix<float> Last = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x, bool keep)
                {
                    var h = x * W;
                    if (keep)
                    {
                        Last = h;
                        h = Ops.Tanh(h);
                    }
                    return h + [|Last|];
                }
            }
            """, "LG0002", "reading 'Last' after this forward updated it", "ReadBack");
    }

    [Fact]
    public void State_updated_in_a_loop_and_read_by_the_next_iteration()
    {
        AssertGuard("""
            public partial class LoopState
            {
                public Matrix<float> W = new(2, 2);
                [NoGrad] public Matrix<float> Last = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x)
                {
                    var h = x;
                    for (int t = 0; t < 3; t++)
                    {
                        h = h * W + [|Last|];
                        Last = h;
                    }
                    return h;
                }
            }
            """, "LG0002", "reading 'Last' after this forward updated it", "LoopState");
    }

    [Fact]
    public void A_list_of_results_added_to_inside_a_branch()
    {
        AssertGuard("""
            public partial class AddInBranch
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public System.Collections.Generic.IReadOnlyList<Matrix<float>> Forward(System.Collections.Generic.IReadOnlyList<Matrix<float>> xs)
                {
                    var ys = new System.Collections.Generic.List<Matrix<float>>();
                    for (int t = 0; t < xs.Count; t++)
                    {
                        if (t > 0)
                            [|ys.Add(xs[t] * W)|];
                    }
                    return ys;
                }
            }
            """, "LG0002", "'ys.Add' inside a branch or an inner loop", "AddInBranch");
    }

    [Fact]
    public void A_list_of_results_read_after_its_loop()
    {
        AssertGuard("""
            public partial class ReadList
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(System.Collections.Generic.IReadOnlyList<Matrix<float>> xs)
                {
                    var ys = new System.Collections.Generic.List<Matrix<float>>();
                    foreach (var x in xs)
                        ys.Add(x * W);
                    return [|ys[0]|];
                }
            }
            """, "LG0002", "element access ('[...]')", "ReadList");
    }

    [Fact]
    public void A_counter_changed_by_a_differentiable_amount()
    {
        AssertGuard("""
            public partial class Counted
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x)
                {
                    int k = 0;
                    [|k += (int)Ops.Sum(x * W)|];
                    return x * (float)k;
                }
            }
            """, "LG0002", "changing the counter 'k' by a value that depends on something differentiable", "Counted");
    }

    [Fact]
    public void Branch_assigning_a_bool()
    {
        AssertGuard("""
            public partial class IntInBranch
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x)
                {
                    bool seen = false;
                    [|if (x.Rows > 2) { seen = true; x = x * W; }|]
                    return x * W;
                }
            }
            """, "LG0002", "assigning 'seen' of type 'bool' inside a branch", "IntInBranch");
    }

    [Fact]
    public void Branch_assigning_a_variable_in_one_arm_only_without_a_value_before()
    {
        AssertGuard("""
            public partial class OneArm
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x, bool b)
                {
                    Matrix<float> y;
                    if (b)
                        y = x * W;
                    else
                        [|x = x * W;|]
                    return x;
                }
            }
            """, "LG0002", "'y' assigned in one arm of 'if (b)' only", "OneArm");
    }

    [Fact]
    public void Early_return_from_a_tuple_forward()
    {
        AssertGuard("""
            public partial class TupleReturn
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public (Matrix<float> a, Matrix<float> b) Forward(Matrix<float> x, bool b)
                {
                    [|if (b) return (x * W, x);|]
                    return (x, x * W);
                }
            }
            """, "LG0002", "an early 'return' from a forward that returns a tuple", "TupleReturn");
    }

    [Fact]
    public void Return_from_a_branch_inside_a_loop()
    {
        AssertGuard("""
            public partial class ReturnInLoop
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x)
                {
                    for (int t = 0; t < 3; t++)
                    {
                        [|if (t == 2) return x;|]
                        x = x * W;
                    }
                    return x;
                }
            }
            """, "LG0002", "'return' inside a loop body", "ReturnInLoop");
    }

    [Fact]
    public void Differentiable_sequence_looped_over_inside_a_branch()
    {
        AssertGuard("""
            public partial class SequenceInBranch
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(System.Collections.Generic.IReadOnlyList<Matrix<float>> xs, Matrix<float> h, bool b)
                {
                    [|if (b)
                    {
                        for (int t = 0; t < xs.Count; t++)
                            h = h * W + xs[t];
                    }|]
                    return h;
                }
            }
            """, "LG0002", "the differentiable sequence 'xs' read inside a branch", "SequenceInBranch");
    }

    [Fact]
    public void Binary_operator_on_the_result_of_a_callee_with_errors()
    {
        var result = AssertGuard("""
            public partial class OtherBinary
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public int Count(Matrix<float> x) => x.Rows;

                [Forward]
                public Matrix<float> Scaled(Matrix<float> x, int k) => x * W;

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => Scaled(x, [|Count(x)|] + 1);
            }
            """, "LG0002", "a call of 'OtherBinary.Count', which has errors of its own", "OtherBinary");
        Assert.Contains(result.AnalyzerDiagnostics, d => d.Id == "LG0004");
    }

    [Fact]
    public void Operator_between_two_matrices_other_than_plus_minus_times()
    {
        // Matrix<T> defines + - * between matrices; '==' is the reference comparison every class has.
        AssertGuard("""
            public partial class Compared
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Pick(Matrix<float> x, bool same) => x * W;

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => Pick(x, [|x == x * W|]);
            }
            """, "LG0002", "the operator 'Equals' between two matrices", "Compared");
    }

    [Fact]
    public void Operator_on_scalars_other_than_the_four()
    {
        AssertGuard("""
            public partial class Remainder
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public float Forward(Matrix<float> x) => [|Ops.Sum(x * W) % 2f|];
            }
            """, "LG0002", "the operator 'Remainder' on scalars", "Remainder");
    }

    [Fact]
    public void Other_expression_is_named_by_its_construct()
    {
        AssertGuard("""
            public partial class Lambda
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => Ops.Relu([|x.Rows switch { 1 => x, _ => x * W }|]);
            }
            """, "LG0002", "a switch expression", "Lambda");
    }

    // ------------------------------------------------------------------ statements and locals

    [Fact]
    public void Statement_after_return()
    {
        AssertGuard("""
            public partial class AfterReturn
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x)
                {
                    return x * W;
                    [|x = x * W;|]
                }
            }
            """, "LG0002", "a statement after 'return'", "AfterReturn");
    }

    [Fact]
    public void Unsupported_statement()
    {
        AssertGuard("""
            public partial class Branch
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x)
                {
                    [|switch (x.Rows) { case 2: x = x * W; break; }|]
                    return x * W;
                }
            }
            """, "LG0002", "a 'switch' statement", "Branch");
    }

    [Fact]
    public void Assignment_to_an_element()
    {
        AssertGuard("""
            public partial class Store
            {
                public Matrix<float> W = new(2, 2);
                [NoGrad] public Matrix<float> Last = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x)
                {
                    var h = x * W;
                    [|h[0, 0] = 1;|]
                    return h;
                }
            }
            """, "LG0002", "an assignment to something other than a local or a [NoGrad] member of this layer", "Store");
    }

    [Fact]
    public void Use_of_an_unassigned_local()
    {
        // Not valid C# (CS0165); the parser reports it instead of reading a value that does not exist.
        AssertGuard("""
            public partial class Unassigned
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x)
                {
                    Matrix<float> h;
                    return x * W + [|h|];
                }
            }
            """, "LG0002", "use of unassigned local 'h'", "Unassigned", compiles: false);
    }

    [Fact]
    public void Compound_assignment_to_an_unassigned_local()
    {
        AssertGuard("""
            public partial class UnassignedCompound
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x)
                {
                    Matrix<float> h;
                    [|h += x * W|];
                    return x * W;
                }
            }
            """, "LG0002", "use of unassigned local 'h'", "UnassignedCompound", compiles: false);
    }

    [Fact]
    public void Body_without_a_final_return()
    {
        // Not valid C# (CS0161); the parser names it instead of emitting a forward without a result.
        AssertGuard("""
            public partial class NoReturn
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x)
                [|{
                    var y = x * W;
                }|]
            }
            """, "LG0002", "a body without a final 'return'", "NoReturn", compiles: false);
    }

    // ------------------------------------------------------------------ [Forward] calls

    [Fact]
    public void Call_of_an_inherited_forward_method()
    {
        AssertGuard("""
            public partial class BaseLayer
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Encode(Matrix<float> x) => x * W;
            }

            public partial class Derived : BaseLayer
            {
                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => Ops.Relu([|Encode(x)|]);
            }
            """, "LG0002", "a call of an inherited [Forward] method", "Derived");
    }

    [Fact]
    public void Forward_call_on_a_receiver_that_is_not_a_member()
    {
        AssertGuard("""
            public partial class Callee
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => x * W;
            }

            public partial class PassedIn
            {
                public Matrix<float> V = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x, Callee layer) => [|layer.Forward(x)|] * V;
            }
            """, "LG0002", "a [Forward] call on a receiver other than a field or property of this layer", "PassedIn");
    }

    // ------------------------------------------------------------------ guards that had no test of their own

    [Fact]
    public void Tuple_returned_other_than_as_a_tuple_literal()
    {
        AssertGuard("""
            public partial class Pairs
            {
                public Matrix<float> W = new(2, 2);

                private static (Matrix<float>, Matrix<float>) Both(Matrix<float> a) => (a, a);

                [Forward]
                public (Matrix<float> Y, Matrix<float> Z) Forward(Matrix<float> x)
                {
                    return [|Both(x * W)|];
                }
            }
            """, "LG0002", "a tuple returned other than as a tuple literal '(a, b)'", "Pairs");
    }

    [Fact]
    public void Unary_operator_other_than_plus_and_minus()
    {
        // Matrix<T> has only unary minus; a generic element type that is a binary floating-point number also has '~'.
        AssertGuard("""
            using System.Numerics;

            public partial class Bits<TElement> where TElement : unmanaged, IBinaryFloatingPointIeee754<TElement>
            {
                public Matrix<TElement> W = new(2, 2);

                [Forward]
                public Matrix<TElement> Forward(Matrix<TElement> x, TElement s) => x * W * [|~s|];
            }
            """, "LG0002", "the unary operator 'BitwiseNegation'", "Bits_TElement_");
    }

    [Fact]
    public void Compiler_generated_member()
    {
        // Item1 of a named tuple is declared by the compiler, not by the user.
        AssertGuard("""
            public partial class Halves
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public (Matrix<float> A, Matrix<float> B) Split(Matrix<float> x) => (x * W, x);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => [|Split(x).Item1|];
            }
            """, "LG0002", "reading the compiler-generated member 'Item1'", "Halves");
    }

    [Fact]
    public void Computed_property_of_another_object()
    {
        AssertGuard("""
            public class Holder
            {
                public Matrix<float> W = new(2, 2);
                public Matrix<float> Wt => W.T;
            }

            public partial class ReadsHolder
            {
                public Matrix<float> V = new(2, 2);
                public Holder Inner = new();

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => x * V * [|Inner.Wt|];
            }
            """, "LG0002", "reading the computed property 'Inner.Wt' of another object (LayerGen inlines only this layer's own computed properties)", "ReadsHolder");
    }

    [Fact]
    public void Member_of_an_object_that_is_not_a_sublayer()
    {
        AssertGuard("""
            public class Holder
            {
                public Matrix<float> W = new(2, 2);
            }

            public partial class ReadsHolder
            {
                public Matrix<float> V = new(2, 2);
                public Holder Inner = new();

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => x * V * [|Inner.W|];
            }
            """, "LG0002", "reading 'Inner.W' (only the layer's own parameters, its sublayers' parameters, inputs and locals can carry gradients)", "ReadsHolder");
    }

    [Fact]
    public void Computed_property_whose_getter_reads_itself()
    {
        // Reported where the getter reads itself, inside the property.
        AssertGuard("""
            public partial class Loop
            {
                public Matrix<float> W = new(2, 2);
                public Matrix<float> Again => [|Again|] * W;

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => x * Again;
            }
            """, "LG0002", "reading the computed property 'Again', whose getter reads itself", "Loop");
    }

    [Fact]
    public void Computed_property_whose_getter_is_not_a_single_return()
    {
        AssertGuard("""
            public partial class Statements
            {
                public Matrix<float> W = new(2, 2);
                public Matrix<float> Wt { get { var t = W.T; return t; } }

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => x * [|Wt|];
            }
            """, "LG0002", "reading the computed property 'Wt': its getter is not a single 'return' statement", "Statements");
    }

    [Fact]
    public void Call_of_a_tuple_returning_forward_method()
    {
        AssertGuard("""
            public partial class Splitter
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public (Matrix<float> A, Matrix<float> B) Split(Matrix<float> x) => (x * W, x);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x)
                {
                    var parts = [|Split(x)|];
                    return x * W;
                }
            }
            """, "LG0002", "a call of the tuple-returning [Forward] method 'Split'", "Splitter");
    }

    [Fact]
    public void Call_of_a_sublayer_that_is_not_partial()
    {
        var result = AssertGuard("""
            public class Plain
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => x * W;
            }

            public partial class UsesPlain
            {
                public Plain Inner = new();

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => [|Inner.Forward(x)|];
            }
            """, "LG0002", "a call of 'Plain.Forward': 'Plain' is not declared partial, so LayerGen cannot generate its backward (declare it partial)", "UsesPlain");
        Assert.Contains(result.AnalyzerDiagnostics, d => d.Id == "LG0001");
    }

    [Fact]
    public void Call_of_a_sublayer_compiled_without_the_generator()
    {
        // A layer from another assembly is usable only with the members the generator adds; this one was compiled without.
        var library = TestCompiler.Compile("""
            using LayerGen;

            namespace Library;

            public partial class Encoder
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => x * W;
            }
            """);
        using var image = new MemoryStream();
        var emit = library.Emit(image);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        AssertGuard("""
            public partial class UsesEncoder
            {
                public Library.Encoder Inner = new();

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => [|Inner.Forward(x)|];
            }
            """, "LG0002", "a call of 'Encoder.Forward': its assembly has no generated backward for it", "UsesEncoder",
            references: [MetadataReference.CreateFromImage(image.ToArray())]);
    }

    [Fact]
    public void Call_of_a_sublayer_of_another_element_type()
    {
        AssertGuard("""
            public partial class Inner64
            {
                public Matrix<double> W = new(2, 2);

                [Forward]
                public Matrix<double> Forward(Matrix<double> x) => x * W;
            }

            public partial class Outer32
            {
                public Matrix<float> V = new(2, 2);
                public Inner64 Sub = new();

                [Forward]
                public Matrix<float> Forward(Matrix<float> x, Matrix<double> y)
                {
                    var z = [|Sub.Forward(y)|];
                    return x * V;
                }
            }
            """, "LG0002", "a call of the sublayer 'Sub', whose gradients this layer cannot hold (a sublayer must use this layer's element type)", "Outer32");
    }

    [Fact]
    public void Registered_op_of_another_element_type()
    {
        AssertGuard("""
            public static class DoubleOps
            {
                [Differentiable(Backward = nameof(TwiceBackward))]
                public static Matrix<double> Twice(Matrix<double> x) => Ops.Scale(x, 2.0);

                public static Matrix<double> TwiceBackward(Matrix<double> x, Matrix<double> dResult) => Ops.Scale(dResult, 2.0);
            }

            public partial class Mixed
            {
                public Matrix<float> W = new(2, 2);

                [Forward]
                public Matrix<float> Forward(Matrix<float> x, Matrix<double> y)
                {
                    var z = [|DoubleOps.Twice(y)|];
                    return x * W;
                }
            }
            """, "LG0002", "a call of 'DoubleOps.Twice' on 'double' in a layer of 'float'", "Mixed");
    }
}
