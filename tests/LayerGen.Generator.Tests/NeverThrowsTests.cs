using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LayerGen.Generator.Tests;

/// <summary>
/// The generator and the analyzer run on every keystroke in the IDE, so half-typed and nonsensical code must never
/// make them throw: no exception, no AD0001 (analyzer crash) and no CS8784/CS8785 (generator crash).
/// </summary>
public sealed class NeverThrowsTests
{
    private const string Usings = "using System;\nusing System.Numerics;\nusing LayerGen;\n";

    /// <summary>Broken or odd inputs, each named for the failure message.</summary>
    public static readonly TheoryData<string, string> Corpus = new()
    {
        { "empty file", "" },
        { "only usings", Usings },
        { "empty partial class", Usings + "public partial class L { }" },
        { "forward without body", Usings + "public partial class L { [Forward] public Matrix<float> Forward(Matrix<float> x); }" },
        { "forward with empty block", Usings + "public partial class L { [Forward] public Matrix<float> Forward(Matrix<float> x) { } }" },
        { "unclosed paren", Usings + "public partial class L { public Matrix<float> W; [Forward] public Matrix<float> Forward(Matrix<float> x) => Ops.Relu(x * W + ; }" },
        { "unclosed class", Usings + "public partial class L { public Matrix<float> W; [Forward] public Matrix<float> Forward(Matrix<float> x) => x * W" },
        { "unclosed parameter list", Usings + "public partial class L { [Forward] public Matrix<float> Forward(Matrix<float> x" },
        { "attribute on nothing", Usings + "public partial class L { [Forward] }" },
        { "attribute on a field", Usings + "public partial class L { [Forward] public Matrix<float> W; }" },
        { "attribute on a property", Usings + "public partial class L { [Forward] public Matrix<float> P => W; public Matrix<float> W = null!; }" },
        { "attribute on a local function", Usings + "public partial class L { public Matrix<float> W = null!; public void M() { [Forward] Matrix<float> F(Matrix<float> x) => x * W; } }" },
        { "attribute on a lambda", Usings + "public partial class L { public Func<Matrix<float>, Matrix<float>> F = [Forward] (Matrix<float> x) => x; }" },
        { "attribute on a class", Usings + "[Forward] public partial class L { }" },
        { "attribute on a constructor", Usings + "public partial class L { [Forward] public L(Matrix<float> x) { } }" },
        { "attribute on an operator", Usings + "public partial class L { [Forward] public static Matrix<float> operator +(L a, Matrix<float> x) => x; }" },
        { "attribute on an indexer", Usings + "public partial class L { [Forward] public Matrix<float> this[Matrix<float> x] => x; }" },
        { "attribute on an abstract method", Usings + "public abstract partial class L { [Forward] public abstract Matrix<float> Forward(Matrix<float> x); }" },
        { "attribute on an interface method", Usings + "public partial interface IL { [Forward] Matrix<float> Forward(Matrix<float> x); }" },
        { "attribute on an extern method", Usings + "public partial class L { [Forward] public static extern Matrix<float> Forward(Matrix<float> x); }" },
        { "partial method declaration only", Usings + "public partial class L { [Forward] public partial Matrix<float> Forward(Matrix<float> x); }" },
        { "attribute on a delegate", Usings + "[Forward] public delegate Matrix<float> F(Matrix<float> x);" },
        { "top-level statement", Usings + "var m = new Matrix<float>(1, 1);\n[Forward] static Matrix<float> F(Matrix<float> x) => x;" },
        { "void forward", Usings + "public partial class L { [Forward] public void Forward(Matrix<float> x) { } }" },
        { "no parameters", Usings + "public partial class L { public Matrix<float> W = null!; [Forward] public Matrix<float> Forward() => W; }" },
        { "int return", Usings + "public partial class L { [Forward] public int Forward(Matrix<float> x) => x.Rows; }" },
        { "string parameter", Usings + "public partial class L { [Forward] public Matrix<float> Forward(string x) => null!; }" },
        { "ref and out parameters", Usings + "public partial class L { [Forward] public Matrix<float> Forward(ref Matrix<float> x, out Matrix<float> y) { y = x; return x; } }" },
        { "params array", Usings + "public partial class L { [Forward] public Matrix<float> Forward(params Matrix<float>[] xs) => xs[0]; }" },
        { "mixed float and double", Usings + "public partial class L { public Matrix<double> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x) => x * W; }" },
        { "Half element type", Usings + "public partial class L { public Matrix<Half> W = null!; [Forward] public Matrix<Half> Forward(Matrix<Half> x) => x * W; }" },
        { "undefined identifiers", Usings + "public partial class L { [Forward] public Matrix<float> Forward(Matrix<float> x) => Ops.Frobnicate(x, Q) * Z; }" },
        { "undefined type", Usings + "public partial class L { public Tensor W; [Forward] public Tensor Forward(Tensor x) => x * W; }" },
        { "missing using", "public partial class L { public Matrix<float> W; [Forward] public Matrix<float> Forward(Matrix<float> x) => x * W; }" },
        { "generic method", Usings + "public partial class L { [Forward] public Matrix<T> Forward<T>(Matrix<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x; }" },
        { "generic type without constraint", Usings + "public partial class L<T> { public Matrix<T> W; [Forward] public Matrix<T> Forward(Matrix<T> x) => x * W; }" },
        { "generic type named T", Usings + "public partial class L<T> where T : unmanaged, IFloatingPointIeee754<T> { public Matrix<T> W = null!; [Forward] public Matrix<T> Forward(Matrix<T> x) => x * W.T; }" },
        { "nested generic mess", Usings + "public partial class O<A> { public partial class L<B, C> where B : unmanaged, IFloatingPointIeee754<B> { public Matrix<B> W = null!; [Forward] public Matrix<B> Forward(Matrix<B> x) => Ops.Relu(x * W); } }" },
        { "nested in non-partial", Usings + "public class O { public partial class L { public Matrix<float> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x) => x * W; } }" },
        { "struct layer", Usings + "public partial struct L { public Matrix<float> W; [Forward] public Matrix<float> Forward(Matrix<float> x) => x * W; }" },
        { "record layer", Usings + "public partial record L(Matrix<float> W) { [Forward] public Matrix<float> Forward(Matrix<float> x) => x * W; }" },
        { "static class", Usings + "public static partial class L { [Forward] public static Matrix<float> Forward(Matrix<float> x) => Ops.Relu(x); }" },
        { "file-local class", Usings + "file partial class L { public Matrix<float> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x) => x * W; }" },
        { "global namespace", Usings + "partial class L { public Matrix<float> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x) => x * W; }" },
        { "two forwards same name", Usings + "public partial class L { public Matrix<float> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x) => x * W; [Forward] public Matrix<float> Forward(Matrix<float> x, Matrix<float> y) => x * W + y; }" },
        { "direct recursion", Usings + "public partial class L { [Forward] public Matrix<float> Forward(Matrix<float> x) => Forward(x); }" },
        { "mutual recursion", Usings + "public partial class L { [Forward] public Matrix<float> A(Matrix<float> x) => B(x); [Forward] public Matrix<float> B(Matrix<float> x) => A(x); }" },
        { "self-typed sublayer", Usings + "public partial class L { public L? Inner; public Matrix<float> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x) => Inner!.Forward(x * W); }" },
        { "loops and branches", Usings + "public partial class L { public Matrix<float> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x) { for (int i = 0; i < 3; i++) x = x * W; if (x.Rows > 2) return x; while (true) { } } }" },
        { "element indexing and lambdas", Usings + "public partial class L { [Forward] public Matrix<float> Forward(Matrix<float> x) { x[0, 0] = 1; Func<Matrix<float>, Matrix<float>> f = m => m; return f(x); } }" },
        { "async and yield", Usings + "public partial class L { [Forward] public async System.Threading.Tasks.Task<Matrix<float>> Forward(Matrix<float> x) { await System.Threading.Tasks.Task.Yield(); return x; } }" },
        { "iterator", Usings + "public partial class L { [Forward] public System.Collections.Generic.IEnumerable<Matrix<float>> Forward(Matrix<float> x) { yield return x; } }" },
        { "throw expression", Usings + "public partial class L { [Forward] public Matrix<float> Forward(Matrix<float> x) => throw new InvalidOperationException(); }" },
        { "default and null", Usings + "public partial class L { [Forward] public Matrix<float> Forward(Matrix<float> x) => default!; }" },
        { "conditional expression", Usings + "public partial class L { public bool Flag; [Forward] public Matrix<float> Forward(Matrix<float> x) => Flag ? Ops.Relu(x) : x; }" },
        { "branch with a half-typed arm", Usings + "public partial class L { public Matrix<float> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x, bool b) { Matrix<float> y; if (b) y = x * ; else y = ; return y; } }" },
        { "early return everywhere", Usings + "public partial class L { public Matrix<float> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x, int m) { if (m == 0) return x; if (m == 1) { if (m > 0) return x * W; } else return Ops.Tanh(x); return x * W * W; } }" },
        { "condition on garbage", Usings + "public partial class L { public Matrix<float> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x) { if ((x * W).Foo(x is null) ?? Ops.Sum(x) > 0) x = x * W; return x; } }" },
        { "state updates of every kind", Usings + "public partial class L { public Matrix<float> W = null!; [NoGrad] public Matrix<float> S = null!; [NoGrad] public int N; [NoGrad] public float F; [Forward] public Matrix<float> Forward(Matrix<float> x) { S = x * W; S += x; N++; N--; F = Ops.Sum(x * W); F *= 2; Ops.Relu(x, S); W = x; this.S = S; return x * W; } }" },
        { "sublayer collections", Usings + "public partial class D { public Matrix<float> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x) => x * W; } public partial class L { public D[] A = null!; public System.Collections.Generic.List<D> B = null!; public D[,] C = null!; [Forward] public Matrix<float> Forward(Matrix<float> x) { foreach (var d in A) x = d.Forward(x); for (int i = 0; i < B.Count; i++) x = B[i].Forward(x); x = A[(int)Ops.Sum(x)].Forward(x); return C[0, 0].Forward(x); } }" },
        { "lists of results misused", Usings + "public partial class L { public Matrix<float> W = null!; [Forward] public System.Collections.Generic.IReadOnlyList<Matrix<float>> Forward(System.Collections.Generic.IReadOnlyList<Matrix<float>> xs) { var ys = new System.Collections.Generic.List<Matrix<float>>(); ys.Add(xs[0]); foreach (var x in xs) { ys.Add(x * W); ys.Add(x); } var zs = ys; return zs; } }" },
        { "dropout with varied probability", Usings + "public partial class L { public Matrix<float> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x) => Ops.Dropout(x, Ops.Sum(x * W), null!); }" },
        { "tuple deconstruction", Usings + "public partial class L { [Forward] public Matrix<float> Forward(Matrix<float> x) { var (a, b) = (x, x); return a + b; } }" },
        { "shape attribute garbage", Usings + "public partial class L { [Shape(null, 3.5, \"\", -1, \"2*\")] public Matrix<float> W = null!; [Forward] [return: Shape] public Matrix<float> Forward([Shape(\"N\", \"N\", \"N\")] Matrix<float> x) => x * W; }" },
        { "static forward helper", Usings + "public partial class L { public Matrix<float> W = null!; [Forward] public static Matrix<float> Act(Matrix<float> x) => Ops.Relu(x); [Forward] public Matrix<float> Forward(Matrix<float> x) => Act(x * W); }" },
        { "scalar-only forward", Usings + "public partial class L { [Forward] public float Forward(float a, float b) => a * b + MathF.Sin(a); }" },
        { "nograd everything", Usings + "public partial class L { [NoGrad] public Matrix<float> W = null!; [Forward] public Matrix<float> Forward([NoGrad] Matrix<float> x) => x * W; }" },
        { "unused input", Usings + "public partial class L { public Matrix<float> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x, Matrix<float> unused) => x * W; }" },
        { "huge expression", Usings + "public partial class L { public Matrix<float> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x) => " + string.Concat(Enumerable.Repeat("Ops.Relu(", 200)) + "x * W" + new string(')', 200) + "; }" },
        { "duplicate partial declarations", Usings + "public partial class L { public Matrix<float> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x) => x * W; }\npublic partial class L { public Matrix<float> W = null!; }" },
        { "user-defined Tape and Backward already present", Usings + "public partial class L { public Matrix<float> W = null!; public class Tape { } public void Backward() { } [Forward] public Matrix<float> Forward(Matrix<float> x) => x * W; }" },
        { "our own attribute name on another type", "namespace Other { public sealed class ForwardAttribute : System.Attribute { } public partial class L { [Forward] public int F(int x) => x; } }" },
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task GeneratorAndAnalyzerNeverThrow(string name, string source)
    {
        await AssertNeverThrows(name, TestCompiler.RoslynFloor.Compile(source));
    }

    /// <summary>Every prefix of the real test layers (cut every 11 characters), as if typed left to right.</summary>
    [Theory]
    [InlineData("Dense.cs")]
    [InlineData("Mlp.cs")]
    [InlineData("GruCell.cs")]
    [InlineData("Attention.cs")]
    [InlineData("GenericDense.cs")]
    [InlineData("Branches.cs")]
    [InlineData("Blocks.cs")]
    public async Task HalfTypedLayers_NeverThrow(string file)
    {
        string text = TestSources.Load(file);
        for (int cut = 0; cut <= text.Length; cut += 11)
            await AssertNeverThrows($"{file}[..{cut}]", TestCompiler.RoslynFloor.Compile(text[..cut]), analyzers: cut % 33 == 0);
    }

    private static async Task AssertNeverThrows(string name, Compilation compilation, bool analyzers = true)
    {
        var run = TestCompiler.RoslynFloor.Generate(compilation);
        var generatorResult = run.RunResult.Results.Single();
        Assert.True(generatorResult.Exception is null, $"{name}: the generator threw {generatorResult.Exception}");
        var crash = run.GeneratorDiagnostics.Concat(run.Output.GetDiagnostics()).FirstOrDefault(d => d.Id is "CS8784" or "CS8785");
        Assert.True(crash is null, $"{name}: {crash}");

        if (!analyzers)
            return;
        var exceptions = new List<string>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions([]),
            onAnalyzerException: (exception, analyzer, diagnostic) => exceptions.Add($"{analyzer}: {exception}"),
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false);
        var withAnalyzers = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ForwardAnalyzer()), options);
        var diagnostics = await withAnalyzers.GetAllDiagnosticsAsync();
        Assert.True(exceptions.Count == 0, $"{name}: the analyzer threw:\n{string.Join("\n", exceptions)}");
        var ad0001 = diagnostics.FirstOrDefault(d => d.Id == "AD0001");
        Assert.True(ad0001 is null, $"{name}: {ad0001}");
    }
}
