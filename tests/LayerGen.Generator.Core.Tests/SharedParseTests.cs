using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LayerGen.Generator.Core.Tests;

/// <summary>Both analyzers share one parse per [Forward] method per compilation.</summary>
public sealed class SharedParseTests
{
    [Fact]
    public async Task ForwardAnalyzer_and_ShapeAnalyzer_parse_each_method_once()
    {
        SharedParse.ParsesByAssembly ??= new ConcurrentDictionary<string, int>();
        string name = "SharedParse" + Guid.NewGuid().ToString("N");
        var tree = CSharpSyntaxTree.ParseText("""
            using LayerGen;

            public partial class Two
            {
                [Shape("D", "C")] public Matrix<double> W = null!;

                [Forward]
                public Matrix<double> A([Shape("N", "D")] Matrix<double> x) => Ops.Tanh(x * W);

                [Forward]
                public Matrix<double> B([Shape("N", "D")] Matrix<double> x) => Ops.Relu(x * W);
            }
            """, TestCompiler.ParseOptions);
        var compilation = CSharpCompilation.Create(name, new[] { tree }, TestCompiler.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ForwardAnalyzer(), new ShapeAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(2, SharedParse.ParsesByAssembly[name]);
    }
}
