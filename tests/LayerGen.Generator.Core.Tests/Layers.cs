namespace LayerGen.Generator.Core.Tests;

/// <summary>Layer sources and check drivers compiled through the generator in memory.</summary>
internal static class Layers
{
    public const string Dense = """
        using LayerGen;

        namespace Nn;

        public partial class Dense
        {
            [Shape("D", "C")] public Matrix<double> W;
            [Shape(1, "C")] public Matrix<double> B;

            public Dense(int inputs, int outputs, int seed)
            {
                W = Matrix<double>.RandomNormal(inputs, outputs, seed, 0, 0.5);
                B = Matrix<double>.RandomNormal(1, outputs, seed + 1, 0, 0.5);
            }

            [Forward]
            [return: Shape("N", "C")]
            public Matrix<double> Forward([Shape("N", "D")] Matrix<double> x) => Ops.Relu(x * W + B);
        }
        """;

    public const string DenseCheck = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Nn;

        public static class Check
        {
            public static double Run()
            {
                var layer = new Dense(4, 3, 1);
                var x = Matrix<double>.RandomNormal(5, 4, 2);
                var g = Matrix<double>.RandomNormal(5, 3, 3);
                var tape = new Dense.Tape();
                var gradients = new Dense.Gradients(layer);
                layer.Forward(x, tape);
                var dx = layer.Backward(tape, g, gradients);
                Func<double> loss = () => Ops.Dot(layer.Forward(x), g);
                return Math.Max(NumericalGradient.MaxRelativeError(layer.W, gradients.W, loss),
                       Math.Max(NumericalGradient.MaxRelativeError(layer.B, gradients.B, loss), NumericalGradient.MaxRelativeError(x, dx, loss)));
            }

            public static long AllocatedOnSecondStep()
            {
                var layer = new Dense(4, 3, 1);
                var x = Matrix<double>.RandomNormal(5, 4, 2);
                var g = Matrix<double>.RandomNormal(5, 3, 3);
                var tape = new Dense.Tape();
                var gradients = new Dense.Gradients(layer);
                layer.Forward(x, tape);
                layer.Backward(tape, g, gradients);
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 3; i++)
                {
                    layer.Forward(x, tape);
                    layer.Backward(tape, g, gradients);
                }
                return GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }
        """;

    public const string Classifier = """
        using LayerGen;

        namespace Nn;

        public partial class SoftmaxClassifier
        {
            [Shape("D", "C")] public Matrix<double> W;
            [Shape(1, "C")] public Matrix<double> B;
            public double Lambda = 0.3;

            public SoftmaxClassifier(int inputs, int classes, int seed)
            {
                W = Matrix<double>.RandomNormal(inputs, classes, seed, 0, 0.5);
                B = Matrix<double>.RandomNormal(1, classes, seed + 1, 0, 0.1);
            }

            [Forward]
            public double Loss([Shape("N", "D")] Matrix<double> x, int[] labels)
                => Losses.SoftmaxCrossEntropy(x * W + B, labels) + 0.5 * Lambda * Ops.SumOfSquares(W);
        }
        """;

    public const string ClassifierCheck = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Nn;

        public static class Check
        {
            public static double Run()
            {
                var layer = new SoftmaxClassifier(4, 3, 1);
                var x = Matrix<double>.RandomNormal(6, 4, 2);
                int[] labels = { 0, 2, 1, 1, 0, 2 };
                var tape = new SoftmaxClassifier.LossTape();
                var gradients = new SoftmaxClassifier.Gradients(layer);
                double value = layer.Loss(x, labels, tape);
                if (Math.Abs(value - layer.Loss(x, labels)) > 1e-12) throw new Exception("training forward differs");
                var dx = layer.LossBackward(tape, gradients);
                Func<double> loss = () => layer.Loss(x, labels);
                return Math.Max(NumericalGradient.MaxRelativeError(layer.W, gradients.W, loss),
                       Math.Max(NumericalGradient.MaxRelativeError(layer.B, gradients.B, loss), NumericalGradient.MaxRelativeError(x, dx, loss)));
            }
        }
        """;

    public const string Mlp = """
        using LayerGen;

        namespace Nn;

        public partial class Linear
        {
            public Matrix<double> W;
            public Matrix<double> B { get; set; }

            public Linear(int inputs, int outputs, int seed)
            {
                W = Matrix<double>.RandomNormal(inputs, outputs, seed, 0, 0.5);
                B = Matrix<double>.RandomNormal(1, outputs, seed + 1, 0, 0.1);
            }

            [Forward]
            public Matrix<double> Forward(Matrix<double> x) => x * W + B;
        }

        public partial class Mlp
        {
            public Linear Hidden;
            public Linear Output { get; }

            public Mlp(int inputs, int hidden, int classes, int seed)
            {
                Hidden = new Linear(inputs, hidden, seed);
                Output = new Linear(hidden, classes, seed + 10);
            }

            [Forward]
            public double Loss(Matrix<double> x, [NoGrad] int[] labels)
            {
                var h = Ops.Relu(Hidden.Forward(x));
                h = Ops.Tanh(h);
                return Losses.SoftmaxCrossEntropy(Output.Forward(h), labels);
            }
        }
        """;

    public const string MlpCheck = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Nn;

        public static class Check
        {
            public static double Run()
            {
                var layer = new Mlp(4, 5, 3, 1);
                var x = Matrix<double>.RandomNormal(6, 4, 2);
                int[] labels = { 0, 2, 1, 1, 0, 2 };
                var tape = new Mlp.LossTape();
                var gradients = new Mlp.Gradients(layer);
                layer.Loss(x, labels, tape);
                var dx = layer.LossBackward(tape, gradients);
                Func<double> loss = () => layer.Loss(x, labels);
                double worst = NumericalGradient.MaxRelativeError(x, dx, loss);
                var parameters = layer.Parameters(gradients);
                if (parameters.Count != 4 || parameters[0].Name != "Hidden.W" || parameters[3].Name != "Output.B")
                    throw new Exception("Parameters: " + string.Join(", ", parameters));
                foreach (var p in parameters)
                    worst = Math.Max(worst, NumericalGradient.MaxRelativeError(p.Value, p.Gradient, loss));
                return worst;
            }

            public static long AllocatedOnSecondStep()
            {
                var layer = new Mlp(4, 5, 3, 1);
                var x = Matrix<double>.RandomNormal(6, 4, 2);
                int[] labels = { 0, 2, 1, 1, 0, 2 };
                var tape = new Mlp.LossTape();
                var gradients = new Mlp.Gradients(layer);
                layer.Loss(x, labels, tape);
                layer.LossBackward(tape, gradients);
                long start = GC.GetAllocatedBytesForCurrentThread();
                layer.Loss(x, labels, tape);
                layer.LossBackward(tape, gradients);
                return GC.GetAllocatedBytesForCurrentThread() - start;
            }
        }
        """;

    public const string GenericDense = """
        using System.Numerics;
        using LayerGen;

        namespace Nn;

        public static partial class Outer
        {
            public partial class Dense<TElement> where TElement : unmanaged, IFloatingPointIeee754<TElement>
            {
                public Matrix<TElement> W;
                public Matrix<TElement> B;
                public TElement Slope = TElement.CreateChecked(0.1);

                public Dense(int inputs, int outputs, int seed)
                {
                    W = Matrix<TElement>.RandomNormal(inputs, outputs, seed, 0, 0.5);
                    B = Matrix<TElement>.RandomNormal(1, outputs, seed + 1, 0, 0.5);
                }

                [Forward]
                public Matrix<TElement> Forward(Matrix<TElement> x) => Ops.LeakyRelu(x * W + B, Slope);

                [Forward]
                public TElement Loss(Matrix<TElement> x, Matrix<TElement> target) => Losses.MeanSquaredError(Forward(x), target) * TElement.CreateChecked(2);
            }
        }
        """;

    public const string GenericDenseCheck = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Nn;

        public static class Check
        {
            public static double Run()
            {
                var layer = new Outer.Dense<double>(4, 3, 1);
                var x = Matrix<double>.RandomNormal(5, 4, 2);
                var t = Matrix<double>.RandomNormal(5, 3, 3);
                var tape = new Outer.Dense<double>.LossTape();
                var gradients = new Outer.Dense<double>.Gradients(layer);
                layer.Loss(x, t, tape);
                var (dx, dt) = layer.LossBackward(tape, gradients);
                Func<double> loss = () => layer.Loss(x, t);
                double worst = Math.Max(NumericalGradient.MaxRelativeError(x, dx, loss), NumericalGradient.MaxRelativeError(t, dt, loss));
                worst = Math.Max(worst, NumericalGradient.MaxRelativeError(layer.W, gradients.W, loss));
                worst = Math.Max(worst, NumericalGradient.MaxRelativeError(layer.B, gradients.B, loss));
                // the float instantiation compiles and runs too
                var f = new Outer.Dense<float>(4, 3, 1);
                var ftape = new Outer.Dense<float>.Tape();
                var fy = f.Forward(Matrix<float>.RandomNormal(5, 4, 2), ftape);
                f.Backward(ftape, Matrix<float>.Ones(5, 3), new Outer.Dense<float>.Gradients(f));
                return worst;
            }
        }
        """;

    public const string MultiInput = """
        using LayerGen;

        namespace Nn;

        public partial class Mixer
        {
            public Matrix<double> W;
            public Matrix<double> U;
            public double Bias = 0.25;

            public Mixer(int d, int h, int seed)
            {
                W = Matrix<double>.RandomNormal(d, h, seed, 0, 0.5);
                U = Matrix<double>.RandomNormal(h, h, seed + 1, 0, 0.5);
            }

            [Forward]
            public Matrix<double> Forward(Matrix<double> x, Matrix<double> h, double s)
            {
                var a = x * W;
                a = a + Ops.Mul(h, h) * U.T;
                var b = Ops.Sigmoid(a) * s - Ops.Exp(Ops.Scale(a, 0.1)) / (s + Bias);
                var c = Ops.Concat(Ops.Softmax(b), Ops.Square(h), 1);
                var d = Ops.SliceColumns(c, 1, 3) + Ops.SliceColumns(Ops.Sum(c, 0), 2, 3);
                return Ops.Gelu(Ops.Transpose(d)) - Ops.Tanh(Ops.Mean(d, 1)).T * Ops.Sum(d);
            }
        }
        """;

    public const string MultiInputCheck = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Nn;

        public static class Check
        {
            public static double Run()
            {
                var layer = new Mixer(4, 3, 1);
                var x = Matrix<double>.RandomNormal(5, 4, 2);
                var h = Matrix<double>.RandomNormal(5, 3, 3);
                double s = 0.7;
                var tape = new Mixer.Tape();
                var gradients = new Mixer.Gradients(layer);
                var y = layer.Forward(x, h, s, tape);
                var g = Matrix<double>.RandomNormal(y.Rows, y.Cols, 4);
                var (dx, dh, ds) = layer.Backward(tape, g, gradients);
                Func<double> loss = () => Ops.Dot(layer.Forward(x, h, s), g);
                double worst = Math.Max(NumericalGradient.MaxRelativeError(x, dx, loss), NumericalGradient.MaxRelativeError(h, dh, loss));
                worst = Math.Max(worst, NumericalGradient.MaxRelativeError(layer.W, gradients.W, loss));
                worst = Math.Max(worst, NumericalGradient.MaxRelativeError(layer.U, gradients.U, loss));
                double numeric = NumericalGradient.Derivative(v => Ops.Dot(layer.Forward(x, h, v), g), s, 1e-4);
                worst = Math.Max(worst, NumericalGradient.RelativeError(numeric, ds));
                return worst;
            }
        }
        """;

    public const string Composite = """
        using System;
        using LayerGen;

        namespace Nn;

        public partial class Attention
        {
            public Matrix<double> Wq, Wk, Wv;
            public double Scale;

            public Attention(int model, int keys, int seed)
            {
                Wq = Matrix<double>.RandomNormal(model, keys, seed, 0, 0.5);
                Wk = Matrix<double>.RandomNormal(model, keys, seed + 1, 0, 0.5);
                Wv = Matrix<double>.RandomNormal(model, keys, seed + 2, 0, 0.5);
                Scale = 1.0 / Math.Sqrt(keys);
            }

            [Forward]
            public Matrix<double> Forward(Matrix<double> x)
            {
                var q = x * Wq;
                var k = x * Wk;
                var v = x * Wv;
                return Ops.Softmax(q * k.T * Scale) * v;
            }
        }

        public partial class GruCell
        {
            public Matrix<double> Wz, Uz, Bz, Wh, Uh;
            [NoGrad] public Matrix<double> One = Matrix<double>.Ones(1, 1);

            public GruCell(int d, int h, int seed)
            {
                Wz = Matrix<double>.RandomNormal(d, h, seed, 0, 0.5);
                Uz = Matrix<double>.RandomNormal(h, h, seed + 1, 0, 0.5);
                Bz = Matrix<double>.RandomNormal(1, h, seed + 2, 0, 0.5);
                Wh = Matrix<double>.RandomNormal(d, h, seed + 3, 0, 0.5);
                Uh = Matrix<double>.RandomNormal(h, h, seed + 4, 0, 0.5);
            }

            [Forward]
            public Matrix<double> Forward(Matrix<double> x, Matrix<double> h)
            {
                var z = Ops.Sigmoid(x * Wz + h * Uz + Bz);
                var candidate = Ops.Tanh(x * Wh + Ops.Mul(z, h) * Uh);
                return Ops.Add(Ops.Mul(Ops.Sub(One, z), h), Ops.Mul(z, candidate));
            }
        }

        public partial class LayerNorm
        {
            public Matrix<double> Gamma, Beta;
            public double Epsilon = 1e-5;

            public LayerNorm(int features, int seed)
            {
                Gamma = Matrix<double>.RandomUniform(1, features, seed, 0.5, 1.5);
                Beta = Matrix<double>.RandomNormal(1, features, seed + 1, 0, 0.1);
            }

            [Forward]
            public Matrix<double> Forward(Matrix<double> x)
            {
                var mean = Ops.Mean(x, 1);
                var centered = Ops.Sub(x, mean);
                var variance = Ops.Mean(Ops.Square(centered), 1);
                var deviation = Ops.Sqrt(Ops.Add(variance, Epsilon));
                var normalized = Ops.Div(centered, deviation);
                return Ops.Add(Ops.Mul(normalized, Gamma), Beta);
            }
        }

        public static partial class Blocks
        {
            [Forward]
            public static Matrix<double> Residual(Matrix<double> x, Matrix<double> y) => Ops.Abs(x) + Ops.Softplus(y) - Ops.LogSoftmax(x);

            [Forward]
            public static double Penalty(Matrix<double> x) => Ops.Mean(Ops.Log(Ops.Exp(x) + x * 0)) + Losses.BinaryCrossEntropyWithLogits(x, Ops.Sigmoid(x));
        }

        public partial class Stack
        {
            public LayerNorm Norm = new(3, 7);
            public Attention Attend = new(3, 3, 8);
            public GruCell Cell = new(3, 3, 9);

            [Forward]
            public double Loss(Matrix<double> x, [NoGrad] Matrix<double> target)
            {
                var a = Attend.Forward(Norm.Forward(x));
                var r = Blocks.Residual(a, x);
                var h = Cell.Forward(x, r);
                h = Cell.Forward(h, Ops.Neg(r));
                return Losses.MeanSquaredError(h, target) + Blocks.Penalty(h) + Ops.Mean(Ops.Sum(h, 1));
            }
        }
        """;

    public const string CompositeCheck = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Nn;

        public static class Check
        {
            public static double Run()
            {
                var layer = new Stack();
                var x = Matrix<double>.RandomNormal(4, 3, 2);
                var target = Matrix<double>.RandomNormal(4, 3, 3);
                var tape = new Stack.LossTape();
                var gradients = new Stack.Gradients(layer);
                double value = layer.Loss(x, target, tape);
                if (Math.Abs(value - layer.Loss(x, target)) > 1e-12) throw new Exception("training forward differs");
                var dx = layer.LossBackward(tape, gradients);
                Func<double> loss = () => layer.Loss(x, target);
                double worst = NumericalGradient.MaxRelativeError(x, dx, loss);
                var parameters = layer.Parameters(gradients);
                if (parameters.Count != 10) throw new Exception("Parameters: " + string.Join(", ", parameters));
                foreach (var p in parameters)
                    worst = Math.Max(worst, NumericalGradient.MaxRelativeError(p.Value, p.Gradient, loss));
                // accumulation: a second backward doubles every gradient
                var before = gradients.Cell.Wz.Clone();
                layer.Loss(x, target, tape);
                layer.LossBackward(tape, gradients);
                for (int i = 0; i < before.Rows; i++)
                    for (int j = 0; j < before.Cols; j++)
                        if (Math.Abs(gradients.Cell.Wz[i, j] - 2 * before[i, j]) > 1e-12) throw new Exception("gradients do not accumulate");
                gradients.Clear();
                if (gradients.Norm.Gamma[0, 0] != 0) throw new Exception("Clear");
                return worst;
            }

            public static long AllocatedOnSecondStep()
            {
                var layer = new Stack();
                var x = Matrix<double>.RandomNormal(4, 3, 2);
                var target = Matrix<double>.RandomNormal(4, 3, 3);
                var tape = new Stack.LossTape();
                var gradients = new Stack.Gradients(layer);
                layer.Loss(x, target, tape);
                layer.LossBackward(tape, gradients);
                long start = GC.GetAllocatedBytesForCurrentThread();
                layer.Loss(x, target, tape);
                layer.LossBackward(tape, gradients);
                return GC.GetAllocatedBytesForCurrentThread() - start;
            }
        }
        """;

    public const string EdgeCases = """
        using System.Numerics;
        using LayerGen;

        public partial class Identity
        {
            [Forward] public Matrix<double> Forward(Matrix<double> x) => x;
        }

        public partial struct Affine
        {
            public Matrix<double> W;
            public Affine(int d, int seed) => W = Matrix<double>.RandomNormal(d, d, seed, 0, 0.5);
            [Forward] public Matrix<double> Forward(Matrix<double> x, Matrix<double> y) => x * W - y;
        }

        namespace Nn.Generic
        {
            public partial class Dense<T> where T : unmanaged, IFloatingPointIeee754<T>
            {
                public Matrix<T> W;
                public Dense(int a, int b, int seed) => W = Matrix<T>.RandomNormal(a, b, seed, 0, 0.5);
                [Forward] public Matrix<T> Forward(Matrix<T> x) => Ops.Sigmoid(x * W);
            }

            public partial class Mlp<T> where T : unmanaged, IFloatingPointIeee754<T>
            {
                public Dense<T> First { get; } = new(3, 4, 1);
                public Dense<T> Second { get; set; } = new(4, 2, 2);
                public Affine Pair = new(2, 3);
                public T Weight = T.CreateChecked(0.25);

                [Forward]
                public Matrix<T> Encode(Matrix<T> x) => Second.Forward(First.Forward(x));

                [Forward]
                public T Loss(Matrix<T> x, [NoGrad] Matrix<T> target, T temperature)
                {
                    var e = Encode(x);
                    var m = Ops.Scale(e, temperature) * Weight;
                    var d = m / temperature;
                    return Losses.MeanSquaredError(d, target) + Ops.Dot(e, e) / (temperature * temperature) - -Ops.Mean(m);
                }
            }
        }
        """;

    public const string EdgeCasesCheck = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Nn.Generic;

        public static class Check
        {
            public static double Run()
            {
                var x = Matrix<double>.RandomNormal(5, 3, 2);
                var identity = new Identity();
                var it = new Identity.Tape();
                identity.Forward(x, it);
                var g = Matrix<double>.RandomNormal(5, 3, 9);
                var dI = identity.Backward(it, g, new Identity.Gradients(identity));
                double worst = NumericalGradient.MaxRelativeError(x, dI, () => Ops.Dot(identity.Forward(x), g));

                var affine = new Affine(3, 4);
                var y = Matrix<double>.RandomNormal(1, 3, 5);
                var at = new Affine.Tape();
                var ag = new Affine.Gradients(affine);
                affine.Forward(x, y, at);
                var (dx, dy) = affine.Backward(at, g, ag);
                Func<double> affineLoss = () => Ops.Dot(affine.Forward(x, y), g);
                worst = Math.Max(worst, Math.Max(NumericalGradient.MaxRelativeError(x, dx, affineLoss), NumericalGradient.MaxRelativeError(y, dy, affineLoss)));
                worst = Math.Max(worst, NumericalGradient.MaxRelativeError(affine.W, ag.W, affineLoss));

                var mlp = new Mlp<double>();
                var target = Matrix<double>.RandomNormal(5, 2, 6);
                double temperature = 1.7;
                var tape = new Mlp<double>.LossTape();
                var gradients = new Mlp<double>.Gradients(mlp);
                mlp.Loss(x, target, temperature, tape);
                var (dX, dT) = mlp.LossBackward(tape, gradients);
                Func<double> loss = () => mlp.Loss(x, target, temperature);
                worst = Math.Max(worst, NumericalGradient.MaxRelativeError(x, dX, loss));
                foreach (var p in mlp.Parameters(gradients))
                    worst = Math.Max(worst, NumericalGradient.MaxRelativeError(p.Value, p.Gradient, loss));
                double numeric = NumericalGradient.Derivative(t => mlp.Loss(x, target, t), temperature, 1e-4);
                worst = Math.Max(worst, NumericalGradient.RelativeError(numeric, dT));
                return worst;
            }
        }
        """;

    public const string ShapeOps = """
        using LayerGen;

        namespace Nn;

        public partial class ShapeOps
        {
            public Matrix<double> W = Matrix<double>.RandomNormal(4, 3, 1, 0, 0.5);
            public Matrix<double> V = Matrix<double>.RandomNormal(3, 4, 2, 0, 0.5);

            [Forward]
            public Matrix<double> Forward(Matrix<double> x)
            {
                var a = x.T * x;                                              // [3, 3], transposeA
                var b = Ops.MatMul(V, W, transposeA: true, transposeB: true); // Vᵀ·Wᵀ: [4, 4]
                var c = Ops.Concat(a, Ops.SliceRows(b, 1, 2) * W, 0);         // [3, 3] over [2, 3]
                var d = Ops.Div(-c, Ops.Add(Ops.Exp(Ops.Mean(c, 0)), 1.5));   // [5, 3] ⊘ [1, 3]
                var e = Ops.SliceRows(d, 2, 3) + Ops.Sum(d, 1).T * x;         // [3, 3] + [1, 3]
                return e;
            }
        }
        """;

    public const string ShapeOpsCheck = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Nn;

        public static class Check
        {
            public static double Run()
            {
                var layer = new ShapeOps();
                var x = Matrix<double>.RandomNormal(5, 3, 3);
                var tape = new ShapeOps.Tape();
                var gradients = new ShapeOps.Gradients(layer);
                var y = layer.Forward(x, tape);
                var g = Matrix<double>.RandomNormal(y.Rows, y.Cols, 4);
                var dx = layer.Backward(tape, g, gradients);
                Func<double> loss = () => Ops.Dot(layer.Forward(x), g);
                double worst = NumericalGradient.MaxRelativeError(x, dx, loss);
                worst = Math.Max(worst, NumericalGradient.MaxRelativeError(layer.W, gradients.W, loss));
                return Math.Max(worst, NumericalGradient.MaxRelativeError(layer.V, gradients.V, loss));
            }
        }
        """;
}
