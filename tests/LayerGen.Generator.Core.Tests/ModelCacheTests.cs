using System.Collections.Concurrent;
using LayerGen.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LayerGen.Generator.Core.Tests;

/// <summary>
/// The transform's model cache (<see cref="ModelCache"/>, issue 7 item 6): an edit inside a body no method read is served
/// without binding any [Forward] body, and every kind of edit a model depends on rebinds it and yields exactly the output
/// of a fresh compilation. Each test first proves the cache is in play (an unrelated body edit binds nothing), so each
/// fails without it.
/// </summary>
[Collection(ModelCacheCollection.Name)]
public sealed class ModelCacheTests
{
    private static int _counter;

    /// <summary>The layer: its parameters are declared in another partial part, with a computed property read by the forward.</summary>
    private const string Layer = """
        using LayerGen;
        namespace Nn;
        public partial class Dense
        {
            public int Before()
            {
                return 0;
            }

            [Forward]
            [return: Shape("N", "C")]
            public Matrix<double> Forward([Shape("N", "D")] Matrix<double> x) => Ops.Relu(x * Wt + B);

            public int Helper() { return 1; }
        }
        """;

    private const string LayerParameters = """
        using LayerGen;
        namespace Nn;
        public partial class Dense
        {
            [Shape("C", "D")] public Matrix<double> W = Matrix<double>.Ones(2, 2);
            [Shape(1, "C")] public Matrix<double> B = Matrix<double>.Ones(1, 2);
            public Matrix<double> Wt => W.T;
        }
        """;

    /// <summary>A model over a sublayer (another file) and a user op (another file).</summary>
    private const string Model = """
        using LayerGen;
        namespace Nn;
        public partial class Net
        {
            public Dense Hidden = new();
            public Matrix<double> V = Matrix<double>.Ones(2, 2);
            [Forward] public Matrix<double> Forward(Matrix<double> x) => MyOps.Mish(Hidden.Forward(x)) * V;
        }
        """;

    private const string UserOps = """
        using LayerGen;
        namespace Nn;
        public static class MyOps
        {
            [Differentiable(Backward = nameof(MishBackward))]
            public static Matrix<double> Mish(Matrix<double> x) => x;
            public static Matrix<double> MishBackward(Matrix<double> x, Matrix<double> dResult) => dResult;
            public static Matrix<double> MishBackward2(Matrix<double> x, Matrix<double> dResult) => Ops.Mul(dResult, x);
        }
        """;

    private const string Unrelated = """
        namespace Other;
        public class Unrelated
        {
            public int Value => 0;
            public int Compute(int a)
            {
                return a + 1;
            }
        }
        """;

    private const string Usings = "global using System;";

    private const int LayerFile = 0, ParametersFile = 1, ModelFile = 2, OpsFile = 3, UnrelatedFile = 4, UsingsFile = 5;
    private const string DenseFile = "Nn.Dense.Forward.g.cs", NetFile = "Nn.Net.Forward.g.cs";

    /// <summary>A driver kept across edits, like the IDE's, and the bodies it bound.</summary>
    private sealed class Session
    {
        private readonly string _name = "ModelCache" + Interlocked.Increment(ref _counter);
        private GeneratorDriver _driver;
        private int _bound;

        public Session(params string[] sources)
        {
            Interlocked.CompareExchange(ref ModelCache.BindingsByAssembly, new ConcurrentDictionary<string, int>(), null);
            Compilation = CSharpCompilation.Create(_name,
                sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, TestCompiler.ParseOptions, path: $"File{i}.cs")),
                TestCompiler.References,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
            _driver = CSharpGeneratorDriver.Create(new[] { new LayerGenGenerator().AsSourceGenerator() }, parseOptions: TestCompiler.ParseOptions,
                driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
            Run();
        }

        public CSharpCompilation Compilation { get; private set; }

        /// <summary>What the last run generated, by hint name.</summary>
        public Dictionary<string, string> Generated { get; private set; } = new();

        /// <summary>[Forward] bodies bound by the last run (0: every model came from the cache).</summary>
        public int LastBindings { get; private set; }

        public void Edit(int file, string text) => Replace(file, CSharpSyntaxTree.ParseText(text, TestCompiler.ParseOptions, path: $"File{file}.cs"));

        public void Add(string text)
        {
            Compilation = Compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(text, TestCompiler.ParseOptions, path: $"File{Compilation.SyntaxTrees.Count()}.cs"));
            Run();
        }

        public string Text(int file) => Compilation.SyntaxTrees.ElementAt(file).ToString();

        public IEnumerable<IncrementalStepRunReason> MethodReasons() =>
            _driver.GetRunResult().Results[0].TrackedSteps[TrackingNames.ForwardMethods].SelectMany(s => s.Outputs).Select(o => o.Reason);

        /// <summary>What a fresh compilation of the same texts generates (another assembly, options and driver: nothing cached).</summary>
        public Dictionary<string, string> Fresh()
        {
            var fresh = CSharpCompilation.Create(_name + "Fresh",
                Compilation.SyntaxTrees.Select(t => CSharpSyntaxTree.ParseText(t.ToString(), TestCompiler.ParseOptions, path: t.FilePath)),
                TestCompiler.References,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
            var driver = CSharpGeneratorDriver.Create(new[] { new LayerGenGenerator().AsSourceGenerator() }, parseOptions: TestCompiler.ParseOptions).RunGenerators(fresh);
            return driver.GetRunResult().Results[0].GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());
        }

        private void Replace(int file, SyntaxTree tree)
        {
            Compilation = Compilation.ReplaceSyntaxTree(Compilation.SyntaxTrees.ElementAt(file), tree);
            Run();
        }

        private void Run()
        {
            _driver = _driver.RunGenerators(Compilation);
            var result = _driver.GetRunResult().Results[0];
            Assert.Null(result.Exception);
            Generated = result.GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());
            int bound = ModelCache.BindingsByAssembly!.GetValueOrDefault(_name);
            LastBindings = bound - _bound;
            _bound = bound;
        }
    }

    private static Session Start()
    {
        var session = new Session(Layer, LayerParameters, Model, UserOps, Unrelated, Usings);
        Assert.Equal(2, session.LastBindings);
        Assert.Contains(DenseFile, session.Generated.Keys);
        Assert.Contains(NetFile, session.Generated.Keys);
        AssertUsesCache(session);
        return session;
    }

    /// <summary>An edit inside a body that no model read: no [Forward] body is bound, every output is cached.</summary>
    private static void AssertUsesCache(Session session)
    {
        var before = session.Generated;
        session.Edit(UnrelatedFile, session.Text(UnrelatedFile).Replace("a + ", "a * 2 + "));
        Assert.Equal(0, session.LastBindings);
        Assert.All(session.MethodReasons(), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.Equal(before, session.Generated);
    }

    /// <summary>After a relevant edit: the output is exactly a fresh compilation's, and <paramref name="file"/> changed.</summary>
    private static void AssertRebuilt(Session session, Dictionary<string, string> before, string file)
    {
        Assert.True(session.LastBindings > 0, "the edit did not rebind any [Forward] body");
        var fresh = session.Fresh();
        Assert.Equal(fresh.Keys.OrderBy(k => k), session.Generated.Keys.OrderBy(k => k));
        foreach (var (name, text) in fresh)
            Assert.Equal(text, session.Generated[name]);
        Assert.NotEqual(before.GetValueOrDefault(file), session.Generated.GetValueOrDefault(file));
    }

    [Fact]
    public void Same_compilation_again_binds_nothing()
    {
        var session = Start();
        var before = session.Generated;
        session.Edit(UnrelatedFile, session.Text(UnrelatedFile));
        Assert.Equal(0, session.LastBindings);
        Assert.Equal(before, session.Generated);
    }

    [Fact]
    public void Edit_of_another_body_in_the_layers_file_binds_nothing()
    {
        var session = Start();
        var before = session.Generated;
        session.Edit(LayerFile, session.Text(LayerFile).Replace("return 1;", "return 2 + 3;"));
        Assert.Equal(0, session.LastBindings);
        Assert.Equal(before, session.Generated);
        // An expression-bodied property of another file too.
        session.Edit(UnrelatedFile, session.Text(UnrelatedFile).Replace("Value => 0", "Value => 42"));
        Assert.Equal(0, session.LastBindings);
        Assert.Equal(before, session.Generated);
    }

    [Fact]
    public void Edit_of_one_forward_body_rebinds_that_method_only()
    {
        var session = Start();
        var before = session.Generated;
        session.Edit(LayerFile, session.Text(LayerFile).Replace("Ops.Relu", "Ops.Tanh"));
        // Dense.Forward, and Net.Forward, which read it (its callee's facts come from its body).
        Assert.Equal(2, session.LastBindings);
        AssertRebuilt(session, before, DenseFile);
        Assert.Contains("tanh", session.Generated[DenseFile], StringComparison.OrdinalIgnoreCase);
        // No model reads Net.Forward: an edit of its body rebinds it alone.
        before = session.Generated;
        session.Edit(ModelFile, session.Text(ModelFile).Replace(") * V", ") + V"));
        Assert.Equal(1, session.LastBindings);
        AssertRebuilt(session, before, NetFile);
    }

    [Fact]
    public void The_cache_keeps_a_bounded_number_of_compilation_keys()
    {
        for (int i = 0; i < ModelCache.MaxGenerations + 2; i++)
            _ = new Session(Layer, LayerParameters, "class Distinct" + i + " { }");
        Assert.InRange(ModelCache.GenerationCount, 1, ModelCache.MaxGenerations);
    }

    [Fact]
    public void A_new_line_above_the_method_rebinds_it()
    {
        // The generated comments cite the forward's line: a line added inside another body above it moves it.
        var session = Start();
        var before = session.Generated;
        session.Edit(LayerFile, session.Text(LayerFile).Replace("return 0;", "int zero = 0;\n        return zero;"));
        AssertRebuilt(session, before, DenseFile);
        // Within a line, nothing moves: cached.
        before = session.Generated;
        session.Edit(LayerFile, session.Text(LayerFile).Replace("int zero = 0;", "int zero = 0 + 0;"));
        Assert.Equal(0, session.LastBindings);
        Assert.Equal(before, session.Generated);
    }

    [Fact]
    public void Shape_of_a_field_in_another_partial_part_rebinds()
    {
        var session = Start();
        var before = session.Generated;
        session.Edit(ParametersFile, session.Text(ParametersFile).Replace("[Shape(1, \"C\")] public Matrix<double> B", "[NoGrad, Shape(1, \"C\")] public Matrix<double> B"));
        AssertRebuilt(session, before, DenseFile);
        before = session.Generated;
        session.Edit(ParametersFile, session.Text(ParametersFile).Replace("[Shape(\"C\", \"D\")]", "[Shape(\"D\", \"C\")]"));
        AssertRebuilt(session, before, DenseFile);
    }

    [Fact]
    public void Computed_property_read_by_the_forward_rebinds()
    {
        var session = Start();
        var before = session.Generated;
        session.Edit(ParametersFile, session.Text(ParametersFile).Replace("Wt => W.T", "Wt => Ops.Mul(W, W).T"));
        // Dense.Forward inlines Wt; Net.Forward's parse of its callee Dense.Forward read it too.
        Assert.Equal(2, session.LastBindings);
        AssertRebuilt(session, before, DenseFile);
    }

    [Fact]
    public void Sublayer_forward_in_another_file_rebinds_its_caller()
    {
        var session = Start();
        var before = session.Generated;
        // The sublayer's body now has an error: nothing is generated for it, nor for its caller.
        session.Edit(LayerFile, session.Text(LayerFile).Replace("Ops.Relu(x * Wt + B)", "Ops.Relu(x * Wt + B).ToString() is null ? x : x"));
        AssertRebuilt(session, before, NetFile);
        Assert.DoesNotContain(NetFile, session.Generated.Keys);
    }

    [Fact]
    public void Sublayer_signature_in_another_file_rebinds_its_caller()
    {
        var session = Start();
        var before = session.Generated;
        session.Edit(LayerFile, session.Text(LayerFile).Replace("Forward([Shape(\"N\", \"D\")] Matrix<double> x)", "Forward([Shape(\"N\", \"D\")] Matrix<double> x, bool training = false)"));
        AssertRebuilt(session, before, NetFile);
    }

    [Fact]
    public void User_op_registration_in_another_file_rebinds()
    {
        var session = Start();
        var before = session.Generated;
        session.Edit(OpsFile, session.Text(OpsFile).Replace("nameof(MishBackward)", "nameof(MishBackward2)"));
        AssertRebuilt(session, before, NetFile);
        Assert.Contains("MishBackward2", session.Generated[NetFile]);
        // A backward whose signature no longer fits: an error, nothing generated.
        before = session.Generated;
        session.Edit(OpsFile, session.Text(OpsFile).Replace("MishBackward2(Matrix<double> x, Matrix<double> dResult)", "MishBackward2(Matrix<double> x, int dResult)"));
        AssertRebuilt(session, before, NetFile);
        Assert.DoesNotContain(NetFile, session.Generated.Keys);
    }

    [Fact]
    public void A_type_named_Ops_in_the_layers_namespace_rebinds()
    {
        var session = Start();
        var before = session.Generated;
        // Nn.Ops shadows LayerGen.Ops: 'Ops.Relu' is now a call of a method LayerGen cannot differentiate.
        session.Add("""
            using LayerGen;
            namespace Nn;
            public static class Ops
            {
                public static Matrix<double> Relu(Matrix<double> x) => x;
                public static Matrix<double> Mul(Matrix<double> a, Matrix<double> b) => a;
            }
            """);
        AssertRebuilt(session, before, DenseFile);
        Assert.DoesNotContain(DenseFile, session.Generated.Keys);
    }

    [Fact]
    public void A_global_using_rebinds()
    {
        var session = Start();
        var before = session.Generated;
        // An alias of every file's compilation unit wins over the type imported by 'using LayerGen;'.
        session.Add("""
            namespace Nn.Other;
            public static class MyRelu
            {
                [LayerGen.Differentiable(Backward = nameof(ReluBackward))]
                public static LayerGen.Matrix<double> Relu(LayerGen.Matrix<double> x) => x;
                public static LayerGen.Matrix<double> ReluBackward(LayerGen.Matrix<double> x, LayerGen.Matrix<double> dResult) => dResult;
            }
            """);
        Assert.Equal(before, session.Generated);
        before = session.Generated;
        session.Edit(UsingsFile, Usings + "\nglobal using Ops = Nn.Other.MyRelu;");
        AssertRebuilt(session, before, DenseFile);
        Assert.Contains("ReluBackward", session.Generated[DenseFile]);
    }

    [Fact]
    public void An_extension_method_added_rebinds()
    {
        var session = Start();
        session.Edit(LayerFile, session.Text(LayerFile).Replace("Ops.Relu(x * Wt + B)", "(x * Wt + B).Softplus()"));
        var before = session.Generated;
        Assert.DoesNotContain(DenseFile, before.Keys);
        session.Edit(OpsFile, session.Text(OpsFile).Replace("public static class MyOps\n{", """
            public static class MyOps
            {
                [Differentiable(Backward = nameof(SoftplusBackward))]
                public static Matrix<double> Softplus(this Matrix<double> x) => x;
                public static Matrix<double> SoftplusBackward(Matrix<double> x, Matrix<double> dResult) => dResult;
            """));
        AssertRebuilt(session, before, DenseFile);
        Assert.Contains("SoftplusBackward", session.Generated[DenseFile]);
    }

    [Fact]
    public void A_layer_with_a_primary_constructor_depends_on_its_whole_file()
    {
        // A body can capture a primary constructor's parameter: no body of that type is cut out, the method reads its tree.
        var session = new Session(Layer, LayerParameters, Model, UserOps, Unrelated, Usings, """
            using LayerGen;
            namespace Nn;
            public partial class Scaled(int size)
            {
                public int Size() { return size; }
                public Matrix<double> W = Matrix<double>.Ones(2, 2);
                [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Relu(x * W);
            }
            """.Replace("public partial class Scaled", "public class Above\n{\n    public int Count() { return 0; }\n}\npublic partial class Scaled"));
        AssertUsesCache(session);
        // A line added in a cut-out body above it, in the same file: the declarations are the same, the file is not.
        var before = session.Generated;
        session.Edit(6, session.Text(6).Replace("{ return 0; }", "{\n        return 0;\n    }"));
        Assert.Equal(1, session.LastBindings);
        AssertRebuilt(session, before, "Nn.Scaled.Forward.g.cs");
        // Its own class's body is part of the declarations: every method is bound again.
        before = session.Generated;
        session.Edit(6, session.Text(6).Replace("public int Size() { return size; }", "public int Size() { return size + 1; }"));
        Assert.Equal(3, session.LastBindings);
        Assert.Equal(before, session.Generated);
    }

    [Fact]
    public void A_blank_line_between_members_rebinds_only_the_methods_below_it()
    {
        var session = Start();
        var before = session.Generated;
        // Above Dense.Forward (file 0): its lines move, Net.Forward (which reads it) is bound again too.
        session.Edit(LayerFile, session.Text(LayerFile).Replace("public partial class Dense\n{", "public partial class Dense\n{\n"));
        Assert.Equal(2, session.LastBindings);
        AssertRebuilt(session, before, DenseFile);
        // Below every [Forward] of its file: nothing moves.
        before = session.Generated;
        session.Edit(ModelFile, session.Text(ModelFile) + "\n\n");
        Assert.Equal(0, session.LastBindings);
        Assert.Equal(before, session.Generated);
    }

    [Fact]
    public void Body_with_a_directive_stays_in_the_declarations()
    {
        // '#if' inside another body acts beyond it: that body is part of the declaration surface, so an edit of it rebinds.
        var session = Start();
        var before = session.Generated;
        session.Edit(UnrelatedFile, session.Text(UnrelatedFile).Replace("return a * 2 + 1;", "#if DEBUG\n        return a + 1;\n#else\n        return a;\n#endif"));
        Assert.Equal(2, session.LastBindings);
        Assert.Equal(before, session.Generated);
    }
}

/// <summary>
/// The model cache is process-wide and keeps the entries of <see cref="ModelCache.MaxGenerations"/> compilations: test
/// classes compiling in parallel would evict a session's generation between two edits and turn an expected cache hit
/// into a rebind. These tests run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ModelCacheCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Model cache (not parallel)";
}
