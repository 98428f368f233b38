using System.Text;

namespace LayerGen.TestShared;

/// <summary>
/// The 200-layer project (20 files of 10 layers: Dense, LayerNorm from primitives, an MLP with a loss over two
/// sublayers) that <c>GeneratorScaleTests</c> checks and <c>GeneratorBenchmarks</c> times: one source, linked into both.
/// </summary>
internal static class ScaleLayers
{
    /// <summary>How many layers the project has.</summary>
    public const int Layers = 200;

    /// <summary>How many files they are spread over.</summary>
    public const int Files = 20;

    /// <summary>One file of <see cref="Layers"/> / <see cref="Files"/> layers, cycling through three kinds.</summary>
    public static string Source(int file)
    {
        var text = new StringBuilder("using LayerGen;\nnamespace Timing" + file + ";\n");
        for (int i = 0; i < Layers / Files; i++)
        {
            string name = "L" + i;
            switch (i % 3)
            {
                case 0:
                    text.Append($$"""
                        public partial class {{name}}
                        {
                            [Shape("D", "C")] public Matrix<float> W = new(4, 4);
                            [Shape(1, "C")] public Matrix<float> B = new(1, 4);
                            [Forward] public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu(x * W + B);
                        }

                        """);
                    break;
                case 1:
                    text.Append($$"""
                        public partial class {{name}}
                        {
                            public Matrix<float> Gain = new(1, 4);
                            public Matrix<float> Bias = new(1, 4);
                            [Forward]
                            public Matrix<float> Forward(Matrix<float> x)
                            {
                                var centered = Ops.Sub(x, Ops.Mean(x, 1));
                                var variance = Ops.Mean(Ops.Square(centered), 1);
                                var normalized = Ops.Div(centered, Ops.Sqrt(Ops.Add(variance, 1e-5f)));
                                return Ops.Add(Ops.Mul(normalized, Gain), Bias);
                            }
                        }

                        """);
                    break;
                default:
                    text.Append($$"""
                        public partial class {{name}}
                        {
                            public L0 Hidden = new();
                            public L0 Output = new();
                            [Forward]
                            public float Loss([NoGrad] Matrix<float> x, [NoGrad] int[] labels)
                                => Losses.SoftmaxCrossEntropy(Output.Forward(Ops.Tanh(Hidden.Forward(x))), labels);
                        }

                        """);
                    break;
            }
        }
        return text.ToString();
    }
}
