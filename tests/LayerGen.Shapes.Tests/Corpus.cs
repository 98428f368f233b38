namespace LayerGen.Shapes.Tests;

/// <summary>
/// Realistic layers: shape bugs, each marked where it must be flagged (<c>{|LG1001:x * W|}</c>), and correct layers that
/// must produce no diagnostic at all (from the shape analyzer or the usage analyzer, which proves they were analysed).
/// </summary>
public static class Corpus
{
    private const string Dense = """

        public partial class Dense
        {
            [Shape("D", "C")] public Matrix<float> W = null!;
            [Shape(1, "C")] public Matrix<float> B = null!;

            [Forward]
            [return: Shape("N", "C")]
            public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu(x * W + B);
        }
        """;

    private const string EncoderAndHead = """

        public partial class Encoder
        {
            [Shape(784, "H")] public Matrix<float> W = null!;

            [Forward]
            [return: Shape("N", "H")]
            public Matrix<float> Forward([Shape("N", 784)] Matrix<float> x) => Ops.Tanh(x * W);
        }

        public partial class Head
        {
            [Shape("H", 10)] public Matrix<float> W = null!;

            [Forward]
            [return: Shape("N", 10)]
            public Matrix<float> Forward([Shape("N", "H")] Matrix<float> h) => h * W;
        }
        """;

    private static string Layer(string body) => "using LayerGen;\n\n" + body;

    /// <summary>Shape bugs as users write them.</summary>
    public static TheoryData<string, string> Bugs => new()
    {
        { "weight stored [out, in]", Layer("""
            public partial class Dense
            {
                [Shape("C", "D")] public Matrix<float> W = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu({|LG1001:x * W|});
            }
            """) },
        { "bias [1, D] added to [N, C]", Layer("""
            public partial class Dense
            {
                [Shape("D", "C")] public Matrix<float> W = null!;
                [Shape(1, "D")] public Matrix<float> B = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu({|LG1002:x * W + B|});
            }
            """) },
        { "column vector minus row vector", Layer("""
            public partial class Centre
            {
                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x)
                {
                    var rowMeans = Ops.Mean(x, 1);
                    var columnMeans = Ops.Mean(x, 0);
                    return {|LG1002:rowMeans - columnMeans|};
                }
            }
            """) },
        { "regression targets transposed", Layer("""
            public partial class Regressor
            {
                [Shape("D", "C")] public Matrix<float> W = null!;

                [Forward]
                public float Loss([Shape("N", "D")] Matrix<float> x, [NoGrad, Shape("C", "N")] Matrix<float> targets)
                    => {|LG1005:Losses.MeanSquaredError(x * W, targets)|};
            }
            """) },
        { "labels declared per class instead of per row", Layer("""
            public partial class Classifier
            {
                [Shape("D", "C")] public Matrix<float> W = null!;

                [Forward]
                public float Loss([Shape("N", "D")] Matrix<float> x, [NoGrad, Shape("C")] int[] labels)
                    => {|LG1005:Losses.SoftmaxCrossEntropy(x * W, labels)|};
            }
            """) },
        { "mean over the wrong axis before the classifier", Layer("""
            public partial class Pool
            {
                [Shape("D", "C")] public Matrix<float> W = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x)
                {
                    var pooled = Ops.Mean(x, 1);
                    return {|LG1001:pooled * W|};
                }
            }
            """) },
        { "sublayers wired in the wrong order", Layer("""
            public partial class Classifier
            {
                public Encoder Encode = null!;
                public Head Classify = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", 784)] Matrix<float> x) => {|LG1004:Encode.Forward(Classify.Forward(x))|};
            }
            """ + EncoderAndHead) },
        { "concat on the wrong axis", Layer("""
            public partial class Fuse
            {
                [Shape("D+E", "C")] public Matrix<float> W = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> a, [Shape("N", "E")] Matrix<float> b)
                    => {|LG1008:Ops.Concat(a, b, 0)|} * W;
            }
            """) },
        { "hidden size does not match the next layer", Layer("""
            public partial class Mlp
            {
                [Shape(784, 128)] public Matrix<float> W1 = null!;
                [Shape(256, 10)] public Matrix<float> W2 = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", 784)] Matrix<float> x)
                {
                    var h = Ops.Relu(x * W1);
                    return {|LG1001:h * W2|};
                }
            }
            """) },
        { "declared return shape disagrees", Layer("""
            public partial class Projection
            {
                [Shape("D", "C")] public Matrix<float> W = null!;

                [Forward]
                [return: Shape("N", "H")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => {|LG1003:Ops.Tanh(x * W)|};
            }
            """) },
        { "classifier returns the wrong number of classes", Layer("""
            public partial class Logits
            {
                [Shape("D", 10)] public Matrix<float> W = null!;

                [Forward]
                [return: Shape("N", 12)]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => {|LG1003:x * W|};
            }
            """) },
        { "gate slice past the end", Layer("""
            public partial class Gates
            {
                [Shape("D", 12)] public Matrix<float> W = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x)
                {
                    var z = x * W;
                    var update = Ops.Sigmoid(Ops.SliceColumns(z, 0, 4));
                    var candidate = Ops.Tanh({|LG1009:Ops.SliceColumns(z, 8, 8)|});
                    return Ops.Mul(update, candidate);
                }
            }
            """) },
        { "attention scores without transposing the keys", Layer("""
            public partial class Attention
            {
                [Forward]
                public Matrix<float> Forward([Shape("T", "K")] Matrix<float> q, [Shape("S", "K")] Matrix<float> k, [Shape("S", "V")] Matrix<float> v)
                    => Ops.Softmax({|LG1001:q * k|}) * v;
            }
            """) },
        { "residual around a layer that changes width", Layer("""
            public partial class Residual
            {
                [Shape("D", "H")] public Matrix<float> W = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => {|LG1002:x + Ops.Relu(x * W)|};
            }
            """) },
        { "bias stored as a column", Layer("""
            public partial class Dense
            {
                [Shape("D", "C")] public Matrix<float> W = null!;
                [Shape("C", 1)] public Matrix<float> B = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => {|LG1002:x * W + B|};
            }
            """) },
        { "gate multiplies the input instead of the hidden state", Layer("""
            public partial class Gate
            {
                [Shape("D", "H")] public Matrix<float> Wg = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x)
                    => {|LG1002:Ops.Mul(Ops.Sigmoid(x * Wg), x)|};
            }
            """) },
        { "one sublayer fed two widths", Layer("""
            public partial class Shared
            {
                public Head Classify = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", 32)] Matrix<float> a, [Shape("N", 64)] Matrix<float> b)
                    => Classify.Forward(a) + {|LG1006:Classify.Forward(b)|};
            }
            """ + EncoderAndHead) },
        { "two projections fix one input width to two sizes", Layer("""
            public partial class TwoHeads
            {
                [Shape(784, "H")] public Matrix<float> W1 = null!;
                [Shape(100, "H")] public Matrix<float> W2 = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => x * W1 + {|LG1006:x * W2|};
            }
            """) },
        { "dot product of a matrix and its transpose's shape", Layer("""
            public partial class Similarity
            {
                [Forward]
                public float Forward([Shape("N", "D")] Matrix<float> a, [Shape("D", "N")] Matrix<float> b) => {|LG1002:Ops.Dot(a, b)|};
            }
            """) },
        { "binary targets wider than the logits", Layer("""
            public partial class Detector
            {
                [Shape("D", 1)] public Matrix<float> W = null!;

                [Forward]
                public float Loss([Shape("N", "D")] Matrix<float> x, [NoGrad, Shape("N", "C")] Matrix<float> targets)
                    => {|LG1005:Losses.BinaryCrossEntropyWithLogits(x * W, targets)|};
            }
            """) },
        { "input transposed instead of the weight", Layer("""
            public partial class Dense
            {
                [Shape("D", "C")] public Matrix<float> W = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => {|LG1001:x.T * W|};
            }
            """) },
        { "slice of more rows than the fixed batch", Layer("""
            public partial class Window
            {
                [Forward]
                public Matrix<float> Forward([Shape(16, "D")] Matrix<float> x) => Ops.Relu({|LG1009:Ops.SliceRows(x, 8, 16)|});
            }
            """) },
        { "three dimensions on a matrix", Layer("""
            public partial class Conv
            {
                [{|LG1007:Shape("K", "C", "F")|}] public Matrix<float> W = null!;

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => x * W;
            }
            """) },
        { "MLP hidden sizes swapped between sublayer and weight", Layer("""
            public partial class Stack
            {
                public Encoder Encode = null!;
                [Shape(10, "C")] public Matrix<float> Out = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", 784)] Matrix<float> x) => {|LG1001:Encode.Forward(x) * Out|};
            }
            """ + EncoderAndHead.Replace("[Shape(784, \"H\")]", "[Shape(784, 64)]").Replace("[Shape(\"H\", 10)]", "[Shape(64, 10)]")
                .Replace("[return: Shape(\"N\", \"H\")]", "[return: Shape(\"N\", 64)]").Replace("[Shape(\"N\", \"H\")] Matrix<float> h", "[Shape(\"N\", 64)] Matrix<float> h")) },
    };

    /// <summary>Correct layers: no diagnostic.</summary>
    public static TheoryData<string, string> Correct => new()
    {
        { "Dense", Layer(Dense) },
        { "Dense with an unannotated input", Layer("""
            public partial class Dense
            {
                [Shape("D", "C")] public Matrix<float> W = null!;
                [Shape(1, "C")] public Matrix<float> B = null!;

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => Ops.Relu(x * W + B);
            }
            """) },
        { "MLP of sublayers", Layer("""
            public partial class Mlp
            {
                public Dense Hidden = null!, Output = null!;

                [Forward]
                public float Loss([Shape("N", "D")] Matrix<float> x, [NoGrad, Shape("N")] int[] labels)
                    => Losses.SoftmaxCrossEntropy(Output.Forward(Hidden.Forward(x)), labels);
            }
            """ + Dense) },
        { "softmax classifier with L2", Layer("""
            public partial class Softmax
            {
                [Shape("D", "C")] public Matrix<float> W = null!;
                [Shape(1, "C")] public Matrix<float> B = null!;

                [Forward]
                public float Loss([Shape("N", "D")] Matrix<float> x, [NoGrad, Shape("N")] int[] labels, float lambda)
                    => Losses.SoftmaxCrossEntropy(x * W + B, labels) + 0.5f * lambda * Ops.SumOfSquares(W);
            }
            """) },
        { "LayerNorm", Layer("""
            public partial class LayerNorm
            {
                [Shape(1, "D")] public Matrix<float> Gamma = null!;
                [Shape(1, "D")] public Matrix<float> Beta = null!;

                [Forward]
                [return: Shape("N", "D")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x)
                {
                    var centred = x - Ops.Mean(x, 1);
                    var variance = Ops.Mean(Ops.Square(centred), 1);
                    var normalised = Ops.Div(centred, Ops.Sqrt(Ops.Add(variance, 1e-5f)));
                    return Ops.Mul(normalised, Gamma) + Beta;
                }
            }
            """) },
        { "GRU step", Layer("""
            public partial class GruCell
            {
                [Shape("D", "H")] public Matrix<float> Wz = null!, Wr = null!, Wn = null!;
                [Shape("H", "H")] public Matrix<float> Uz = null!, Ur = null!, Un = null!;
                [Shape(1, "H")] public Matrix<float> Bz = null!, Br = null!, Bn = null!;

                [Forward]
                [return: Shape("N", "H")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x, [Shape("N", "H")] Matrix<float> h)
                {
                    var z = Ops.Sigmoid(x * Wz + h * Uz + Bz);
                    var r = Ops.Sigmoid(x * Wr + h * Ur + Br);
                    var n = Ops.Tanh(x * Wn + Ops.Mul(r, h) * Un + Bn);
                    return n + Ops.Mul(z, h - n);
                }
            }
            """) },
        { "scaled dot-product attention", Layer("""
            public partial class Attention
            {
                [Shape("E", "K")] public Matrix<float> Wq = null!, Wk = null!;
                [Shape("E", "V")] public Matrix<float> Wv = null!;

                [Forward]
                [return: Shape("T", "V")]
                public Matrix<float> Forward([Shape("T", "E")] Matrix<float> queries, [Shape("S", "E")] Matrix<float> memory, float scale)
                {
                    var q = queries * Wq;
                    var k = memory * Wk;
                    var v = memory * Wv;
                    return Ops.Softmax(q * k.T * scale) * v;
                }
            }
            """) },
        { "generic Dense<T>", Layer("""
            public partial class Dense<TElement> where TElement : unmanaged, System.Numerics.IFloatingPointIeee754<TElement>
            {
                [Shape("D", "C")] public Matrix<TElement> W = null!;
                [Shape(1, "C")] public Matrix<TElement> B = null!;

                [Forward]
                [return: Shape("N", "C")]
                public Matrix<TElement> Forward([Shape("N", "D")] Matrix<TElement> x) => Ops.Relu(x * W + B);
            }
            """) },
        { "concat of features then a projection", Layer("""
            public partial class Fuse
            {
                [Shape("D+E", "C")] public Matrix<float> W = null!;

                [Forward]
                [return: Shape("N", "C")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> a, [Shape("N", "E")] Matrix<float> b) => Ops.Concat(a, b, 1) * W;
            }
            """) },
        { "residual block", Layer("""
            public partial class Residual
            {
                [Shape("D", "D")] public Matrix<float> W = null!;
                [Shape(1, "D")] public Matrix<float> B = null!;

                [Forward]
                [return: Shape("N", "D")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => x + Ops.Relu(x * W + B);
            }
            """) },
        { "gated linear unit", Layer("""
            public partial class Glu
            {
                [Shape("D", "H")] public Matrix<float> Wg = null!, Wv = null!;

                [Forward]
                [return: Shape("N", "H")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Mul(Ops.Sigmoid(x * Wg), Ops.Tanh(x * Wv));
            }
            """) },
        { "MSE regressor", Layer("""
            public partial class Regressor
            {
                [Shape("D", "C")] public Matrix<float> W = null!;

                [Forward]
                public float Loss([Shape("N", "D")] Matrix<float> x, [NoGrad, Shape("N", "C")] Matrix<float> targets)
                    => Losses.MeanSquaredError(x * W, targets);
            }
            """) },
        { "binary classifier", Layer("""
            public partial class Detector
            {
                [Shape("D", 1)] public Matrix<float> W = null!;
                [Shape(1, 1)] public Matrix<float> B = null!;

                [Forward]
                public float Loss([Shape("N", "D")] Matrix<float> x, [NoGrad, Shape("N", 1)] Matrix<float> targets)
                    => Losses.BinaryCrossEntropyWithLogits(x * W + B, targets);
            }
            """) },
        { "fixed-size gates by slicing", Layer("""
            public partial class Gates
            {
                [Shape("D", 12)] public Matrix<float> W = null!;

                [Forward]
                [return: Shape("N", 4)]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x)
                {
                    var z = x * W;
                    var i = Ops.Sigmoid(Ops.SliceColumns(z, 0, 4));
                    var f = Ops.Sigmoid(Ops.SliceColumns(z, 4, 4));
                    var g = Ops.Tanh(Ops.SliceColumns(z, 8, 4));
                    return Ops.Mul(i, g) + f;
                }
            }
            """) },
        { "column-sum pooling", Layer("""
            public partial class Pool
            {
                [Shape("D", "C")] public Matrix<float> W = null!;

                [Forward]
                [return: Shape(1, "C")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Sum(x, 0) * W;
            }
            """) },
        { "weight stored [out, in] used transposed", Layer("""
            public partial class Linear
            {
                [Shape("C", "D")] public Matrix<float> W = null!;

                [Forward]
                [return: Shape("N", "C")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => x * W.T;
            }
            """) },
        { "Ops.MatMul with transpose flags", Layer("""
            public partial class Linear
            {
                [Shape("C", "D")] public Matrix<float> W = null!;

                [Forward]
                [return: Shape("N", "C")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.MatMul(x, W, false, true);
            }
            """) },
        { "sublayer pipeline Encoder then Head", Layer("""
            public partial class Classifier
            {
                public Encoder Encode = null!;
                public Head Classify = null!;

                [Forward]
                [return: Shape("N", 10)]
                public Matrix<float> Forward([Shape("N", 784)] Matrix<float> x) => Classify.Forward(Encode.Forward(x));
            }
            """ + EncoderAndHead) },
        { "static helper", Layer("""
            public static partial class Blocks
            {
                [Forward]
                [return: Shape("N", "D")]
                public static Matrix<float> Mix([Shape("N", "D")] Matrix<float> a, [Shape("N", "D")] Matrix<float> b) => Ops.Tanh(a + b);
            }

            public partial class UsesHelper
            {
                [Shape("D", "D")] public Matrix<float> W = null!;

                [Forward]
                [return: Shape("N", "D")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Blocks.Mix(x, x * W);
            }
            """) },
        { "self call of an encoder method", Layer("""
            public partial class AutoEncoder
            {
                [Shape("D", "H")] public Matrix<float> We = null!;
                [Shape("H", "D")] public Matrix<float> Wd = null!;

                [Forward]
                [return: Shape("N", "H")]
                public Matrix<float> Encode([Shape("N", "D")] Matrix<float> x) => Ops.Tanh(x * We);

                [Forward]
                public float Loss([Shape("N", "D")] Matrix<float> x) => Losses.MeanSquaredError(Encode(x) * Wd, x);
            }
            """.Replace("Losses.MeanSquaredError(Encode(x) * Wd, x)", "Ops.SumOfSquares(Encode(x) * Wd - x)")) },
        { "double precision with a row-mean centring", Layer("""
            public partial class Centre
            {
                [Shape("D", "C")] public Matrix<double> W = null!;

                [Forward]
                [return: Shape("N", "C")]
                public Matrix<double> Forward([Shape("N", "D")] Matrix<double> x) => (x - Ops.Mean(x, 1)) * W;
            }
            """) },
        { "RNN step over a concatenated state", Layer("""
            public partial class Rnn
            {
                [Shape("D+H", "H")] public Matrix<float> W = null!;
                [Shape(1, "H")] public Matrix<float> B = null!;

                [Forward]
                [return: Shape("N", "H")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x, [Shape("N", "H")] Matrix<float> h)
                    => Ops.Tanh(Ops.Concat(x, h, 1) * W + B);
            }
            """) },
        { "doubled hidden width written two ways", Layer("""
            public partial class Wide
            {
                [Shape("D", "2*H")] public Matrix<float> W1 = null!;
                [Shape("H+H", "C")] public Matrix<float> W2 = null!;

                [Forward]
                [return: Shape("N", "C")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Gelu(x * W1) * W2;
            }
            """) },
    };
}
