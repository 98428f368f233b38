using LayerGen;

namespace LayerGen.Tests;

/// <summary>
/// Optimizers against steps computed by hand (PyTorch semantics), their options, validation and the promise that
/// <c>Step()</c> allocates nothing.
/// </summary>
public class OptimizerTests
{
    private const double Tight = 1e-12;

    // The gradients fed at steps 1, 2 and 3 to a two-element parameter that starts at [1, -2].
    private static readonly double[][] Gradients = [[0.5, 1.0], [-1.0, 0.25], [0.2, -0.4]];

    private static Parameter<double> NewParameter(string name = "p")
        => new(name, Matrix<double>.FromRows([1.0, -2.0]), new Matrix<double>(1, 2));

    /// <summary>Sets the gradient for <paramref name="step"/> (1-based), steps, returns the new value.</summary>
    private static double[] StepWith(Optimizer<double> optimizer, Parameter<double> p, int step)
    {
        Gradients[step - 1].CopyTo(p.Gradient.AsSpan());
        optimizer.Step();
        return p.Value.ToArray();
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance = Tight)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]:R}, actual {actual[i]:R}");
    }

    // ------------------------------------------------------------------ SGD

    [Fact]
    public void Sgd_PlainStepsAreMinusLearningRateTimesGradient()
    {
        var p = NewParameter();
        var sgd = new Sgd<double>([p], learningRate: 0.1);
        // p1 = [1 − 0.1·0.5, −2 − 0.1·1] ; p2 = p1 − 0.1·[−1, 0.25]
        AssertClose([0.95, -2.1], StepWith(sgd, p, 1));
        AssertClose([1.05, -2.125], StepWith(sgd, p, 2));
    }

    [Fact]
    public void Sgd_MomentumBufferStartsAtTheGradient()
    {
        var p = NewParameter();
        var sgd = new Sgd<double>([p], learningRate: 0.1, momentum: 0.9);
        // step 1: b = g1 = [0.5, 1]; p = [1 − 0.05, −2 − 0.1]
        AssertClose([0.95, -2.1], StepWith(sgd, p, 1));
        // step 2: b = 0.9·[0.5, 1] + [−1, 0.25] = [−0.55, 1.15]; p = [0.95 + 0.055, −2.1 − 0.115]
        AssertClose([1.005, -2.215], StepWith(sgd, p, 2));
        // step 3: b = 0.9·[−0.55, 1.15] + [0.2, −0.4] = [−0.295, 0.635]; p = [1.005 + 0.0295, −2.215 − 0.0635]
        AssertClose([1.0345, -2.2785], StepWith(sgd, p, 3));
    }

    [Fact]
    public void Sgd_NesterovStepsAlongGradientPlusMomentumTimesBuffer()
    {
        var p = NewParameter();
        var sgd = new Sgd<double>([p], learningRate: 0.1, momentum: 0.9, nesterov: true);
        // step 1: b = [0.5, 1]; d = g + 0.9·b = [0.95, 1.9]; p = [1 − 0.095, −2 − 0.19]
        AssertClose([0.905, -2.19], StepWith(sgd, p, 1));
        // step 2: b = [−0.55, 1.15]; d = [−1 − 0.495, 0.25 + 1.035] = [−1.495, 1.285]; p = [0.905 + 0.1495, −2.19 − 0.1285]
        AssertClose([1.0545, -2.3185], StepWith(sgd, p, 2));
    }

    [Fact]
    public void Sgd_WeightDecayAddsLambdaTimesValueToTheGradient()
    {
        var p = NewParameter();
        var sgd = new Sgd<double>([p], learningRate: 0.1, weightDecay: 0.5);
        // step 1: g' = [0.5 + 0.5·1, 1 + 0.5·(−2)] = [1, 0]; p = [0.9, −2]
        AssertClose([0.9, -2.0], StepWith(sgd, p, 1));
        // step 2: g' = [−1 + 0.45, 0.25 − 1] = [−0.55, −0.75]; p = [0.955, −1.925]
        AssertClose([0.955, -1.925], StepWith(sgd, p, 2));
        Assert.Equal([-1.0, 0.25], p.Gradient.ToArray()); // the gradient itself is left alone
    }

    [Fact]
    public void Sgd_WeightDecayEntersTheMomentumBuffer()
    {
        var p = NewParameter();
        var sgd = new Sgd<double>([p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.1);
        // step 1: g' = [0.5 + 0.1, 1 − 0.2] = [0.6, 0.8] = b; p = [1 − 0.06, −2 − 0.08]
        AssertClose([0.94, -2.08], StepWith(sgd, p, 1));
        // step 2: g' = [−1 + 0.094, 0.25 − 0.208] = [−0.906, 0.042]; b = [0.54 − 0.906, 0.72 + 0.042] = [−0.366, 0.762]
        //         p = [0.94 + 0.0366, −2.08 − 0.0762]
        AssertClose([0.9766, -2.1562], StepWith(sgd, p, 2));
    }

    [Fact]
    public void Sgd_NesterovWithWeightDecay()
    {
        var p = NewParameter();
        var sgd = new Sgd<double>([p], learningRate: 0.1, momentum: 0.5, weightDecay: 0.1, nesterov: true);
        // step 1: g' = [0.6, 0.8] = b; d = g' + 0.5·b = [0.9, 1.2]; p = [0.91, −2.12]
        AssertClose([0.91, -2.12], StepWith(sgd, p, 1));
        // step 2: g' = [−1 + 0.091, 0.25 − 0.212] = [−0.909, 0.038]; b = [0.3 − 0.909, 0.4 + 0.038] = [−0.609, 0.438]
        //         d = [−0.909 − 0.3045, 0.038 + 0.219] = [−1.2135, 0.257]; p = [0.91 + 0.12135, −2.12 − 0.0257]
        AssertClose([1.03135, -2.1457], StepWith(sgd, p, 2));
    }

    [Fact]
    public void Sgd_UpdatesEveryParameterAndHonoursALearningRateChange()
    {
        var a = NewParameter("a");
        var b = new Parameter<double>("b", Matrix<double>.FromRows([3.0], [4.0]), Matrix<double>.FromRows([1.0], [-1.0]));
        var sgd = new Sgd<double>([a, b], learningRate: 0.5);
        a.Gradient.Fill(2.0);
        sgd.Step();
        AssertClose([0.0, -3.0], a.Value.ToArray());
        AssertClose([2.5, 4.5], b.Value.ToArray());

        sgd.LearningRate = 0;   // a schedule may stop training
        sgd.Step();
        AssertClose([0.0, -3.0], a.Value.ToArray());
        Assert.Equal(0, sgd.LearningRate);
    }

    // ------------------------------------------------------------------ Adam

    /// <summary>p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε), PyTorch's form of the Adam update.</summary>
    private static double AdamUpdate(double p, double m, double v, int t, double lr = 0.1, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
        => p - lr / (1 - Math.Pow(beta1, t)) * m / (Math.Sqrt(v) / Math.Sqrt(1 - Math.Pow(beta2, t)) + eps);

    [Fact]
    public void Adam_ThreeStepsWithBiasCorrection()
    {
        var p = NewParameter();
        var adam = new Adam<double>([p], learningRate: 0.1);
        // step 1: m = 0.1·g1 = [0.05, 0.1]; v = 0.001·g1² = [0.00025, 0.001]
        //         m̂ = [0.5, 1], v̂ = [0.25, 1]: the first step is lr·sign(g) up to ε
        double[] p1 = [1 - 0.1 * 0.5 / (0.5 + 1e-8), -2 - 0.1 * 1 / (1 + 1e-8)];
        AssertClose(p1, StepWith(adam, p, 1));
        AssertClose([0.900000002, -2.099999999], p1);
        // step 2: m = 0.9·[0.05, 0.1] + 0.1·[−1, 0.25] = [−0.055, 0.115]
        //         v = 0.999·[0.00025, 0.001] + 0.001·[1, 0.0625] = [0.00124975, 0.0010615]
        double[] p2 = [AdamUpdate(p1[0], -0.055, 0.00124975, 2), AdamUpdate(p1[1], 0.115, 0.0010615, 2)];
        AssertClose(p2, StepWith(adam, p, 2));
        AssertClose([0.9366103542405654, -2.183059751227727], p2, 1e-12);
        // step 3: m = 0.9·[−0.055, 0.115] + 0.1·[0.2, −0.4] = [−0.0295, 0.0635]
        //         v = 0.999·[0.00124975, 0.0010615] + 0.001·[0.04, 0.16] = [0.00128850025, 0.0012204385]
        double[] p3 = [AdamUpdate(p2[0], -0.0295, 0.00128850025, 3), AdamUpdate(p2[1], 0.0635, 0.0012204385, 3)];
        AssertClose(p3, StepWith(adam, p, 3));
        Assert.Equal(3, adam.StepCount);
    }

    [Fact]
    public void Adam_WeightDecayIsAnL2TermInTheGradient()
    {
        var p = NewParameter();
        var adam = new Adam<double>([p], learningRate: 0.1, weightDecay: 0.1);
        // step 1: g' = g1 + 0.1·p = [0.6, 0.8]; m = [0.06, 0.08]; v = [0.00036, 0.00064]
        double[] p1 = [AdamUpdate(1, 0.06, 0.00036, 1), AdamUpdate(-2, 0.08, 0.00064, 1)];
        AssertClose(p1, StepWith(adam, p, 1));
        // step 2: g' = [−1 + 0.1·p1[0], 0.25 + 0.1·p1[1]]; m = 0.9·m1 + 0.1·g'; v = 0.999·v1 + 0.001·g'²
        double g0 = -1 + 0.1 * p1[0], g1 = 0.25 + 0.1 * p1[1];
        double[] p2 =
        [
            AdamUpdate(p1[0], 0.9 * 0.06 + 0.1 * g0, 0.999 * 0.00036 + 0.001 * g0 * g0, 2),
            AdamUpdate(p1[1], 0.9 * 0.08 + 0.1 * g1, 0.999 * 0.00064 + 0.001 * g1 * g1, 2),
        ];
        AssertClose(p2, StepWith(adam, p, 2));
        AssertClose([0.9252635194456061, -2.1706400355765036], p2, 1e-12);
        Assert.Equal([-1.0, 0.25], p.Gradient.ToArray());
    }

    [Fact]
    public void AdamW_DecaysTheValueBeforeTheAdamUpdate()
    {
        var p = NewParameter();
        var adamW = new AdamW<double>([p], learningRate: 0.1, weightDecay: 0.1);
        // step 1: p ← p·(1 − 0.1·0.1) = [0.99, −1.98]; then the plain Adam update with g1 (m̂ = g1, v̂ = g1²)
        double[] p1 = [AdamUpdate(0.99, 0.05, 0.00025, 1), AdamUpdate(-1.98, 0.1, 0.001, 1)];
        AssertClose(p1, StepWith(adamW, p, 1));
        AssertClose([0.890000002, -2.079999999], p1);
        // step 2: p ← 0.99·p1; m and v exactly as plain Adam's (the decay never enters them)
        double[] p2 = [AdamUpdate(0.99 * p1[0], -0.055, 0.00124975, 2), AdamUpdate(0.99 * p1[1], 0.115, 0.0010615, 2)];
        AssertClose(p2, StepWith(adamW, p, 2));
        AssertClose([0.9177103542205653, -2.1422597512377273], p2, 1e-12);
    }

    [Fact]
    public void AdamW_DecayIsNotRescaledByTheAdaptiveDenominator()
    {
        // With a zero gradient, AdamW only shrinks p by (1 − lr·λ) per step, whereas Adam's L2 term goes through
        // m / √v and moves p by about lr per step whatever λ is: the difference decoupling makes.
        var pw = new Parameter<double>("w", Matrix<double>.Filled(1, 1, 2.0), new Matrix<double>(1, 1));
        var pa = new Parameter<double>("a", Matrix<double>.Filled(1, 1, 2.0), new Matrix<double>(1, 1));
        var adamW = new AdamW<double>([pw], learningRate: 0.1, weightDecay: 0.01);
        var adam = new Adam<double>([pa], learningRate: 0.1, weightDecay: 0.01);
        for (int i = 0; i < 3; i++)
        {
            adamW.Step();
            adam.Step();
        }
        Assert.Equal(2.0 * Math.Pow(1 - 0.1 * 0.01, 3), pw.Value[0, 0], 15);
        Assert.InRange(pa.Value[0, 0], 2.0 - 3 * 0.1 - 0.01, 2.0 - 3 * 0.1 + 0.01);
    }

    [Fact]
    public void AdamW_WithoutWeightDecayIsAdam()
    {
        var pw = NewParameter();
        var pa = NewParameter();
        var adamW = new AdamW<double>([pw], learningRate: 0.05, weightDecay: 0);
        var adam = new Adam<double>([pa], learningRate: 0.05);
        for (int step = 1; step <= 3; step++)
        {
            StepWith(adamW, pw, step);
            StepWith(adam, pa, step);
        }
        Assert.Equal(pa.Value.ToArray(), pw.Value.ToArray());
        Assert.Equal(0.01, new AdamW<double>([NewParameter()]).WeightDecay);   // PyTorch's default
    }

    [Fact]
    public void Adam_FloatFollowsDouble()
    {
        var pd = new Parameter<double>("p", Matrix<double>.RandomNormal(3, 5, seed: 3), new Matrix<double>(3, 5));
        var pf = new Parameter<float>("p", Matrix<float>.FromSpan(3, 5, pd.Value.ToArray().Select(x => (float)x).ToArray()), new Matrix<float>(3, 5));
        var adamD = new Adam<double>([pd], learningRate: 0.01, weightDecay: 0.001);
        var adamF = new Adam<float>([pf], learningRate: 0.01, weightDecay: 0.001);
        for (int step = 0; step < 20; step++)
        {
            // gradient of Σp²/2 plus a constant tilt
            for (int i = 0; i < 15; i++)
            {
                pd.Gradient.AsSpan()[i] = pd.Value.AsSpan()[i] + 0.3;
                pf.Gradient.AsSpan()[i] = pf.Value.AsSpan()[i] + 0.3f;
            }
            adamD.Step();
            adamF.Step();
        }
        for (int i = 0; i < 15; i++)
            Assert.True(Math.Abs(pd.Value.AsSpan()[i] - pf.Value.AsSpan()[i]) < 1e-5, $"element {i}: double {pd.Value.AsSpan()[i]}, float {pf.Value.AsSpan()[i]}");
    }

    // ------------------------------------------------------------------ common behaviour

    [Fact]
    public void ZeroGrad_ClearsEveryGradient()
    {
        var a = NewParameter("a");
        var b = new Parameter<double>("b", new Matrix<double>(2, 3), Matrix<double>.Filled(2, 3, 7.0));
        a.Gradient.Fill(1.5);
        var sgd = new Sgd<double>([a, b], learningRate: 0.1);
        sgd.ZeroGrad();
        Assert.All(a.Gradient.ToArray(), x => Assert.Equal(0.0, x));
        Assert.All(b.Gradient.ToArray(), x => Assert.Equal(0.0, x));
        Assert.Equal(["a", "b"], sgd.Parameters.Select(p => p.Name));
    }

    [Fact]
    public void Step_ThrowsWhenAParameterChangedSize()
    {
        var p = NewParameter();
        var adam = new Adam<double>([p]);
        // A parameter whose gradient buffer was reshaped behind the optimizer's back (EnsureShape reuses storage).
        var gradient = p.Gradient;
        Matrix<double>.EnsureShape(ref gradient!, 1, 1);
        var error = Assert.Throws<InvalidOperationException>(adam.Step);
        Assert.Contains("'p'", error.Message);
    }

    public static TheoryData<string> AllOptimizers => new()
    {
        "sgd", "sgd+momentum", "sgd+nesterov+wd", "sgd+wd", "adam", "adam+wd", "adamw",
    };

    private static Optimizer<T> Create<T>(string kind, IReadOnlyList<Parameter<T>> parameters)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        => kind switch
        {
            "sgd" => new Sgd<T>(parameters, 0.01),
            "sgd+momentum" => new Sgd<T>(parameters, 0.01, momentum: 0.9),
            "sgd+nesterov+wd" => new Sgd<T>(parameters, 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true),
            "sgd+wd" => new Sgd<T>(parameters, 0.01, weightDecay: 1e-4),
            "adam" => new Adam<T>(parameters),
            "adam+wd" => new Adam<T>(parameters, weightDecay: 1e-4),
            "adamw" => new AdamW<T>(parameters),
            _ => throw new ArgumentException(kind),
        };

    [Theory]
    [MemberData(nameof(AllOptimizers))]
    public void Step_AllocatesNothingAfterTheFirstCall(string kind)
    {
        Assert.Equal(0, StepAllocations<float>(kind));
        Assert.Equal(0, StepAllocations<double>(kind));
    }

    private static long StepAllocations<T>(string kind) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        Parameter<T> Make(string name, int rows, int cols, int seed)
            => new(name, Matrix<T>.RandomNormal(rows, cols, seed), Matrix<T>.RandomNormal(rows, cols, seed + 100));
        var optimizer = Create<T>(kind, [Make("W1", 17, 33, 1), Make("b1", 1, 33, 2), Make("W2", 33, 5, 3)]);
        optimizer.Step();   // first call: JIT and one-time initialisation
        optimizer.ZeroGrad();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
        {
            optimizer.Step();
            optimizer.ZeroGrad();
        }
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Theory]
    [MemberData(nameof(AllOptimizers))]
    public void Step_ReducesAQuadraticLoss(string kind)
    {
        // Σ(p − 3)²/2 from p = 0: every optimizer must move p towards 3 (a smoke test of sign conventions).
        var p = new Parameter<double>("p", new Matrix<double>(2, 2), new Matrix<double>(2, 2));
        var optimizer = Create<double>(kind, [p]);
        optimizer.LearningRate = 0.1;
        for (int i = 0; i < 200; i++)
        {
            optimizer.ZeroGrad();
            for (int j = 0; j < 4; j++)
                p.Gradient.AsSpan()[j] = p.Value.AsSpan()[j] - 3;
            optimizer.Step();
        }
        Assert.All(p.Value.ToArray(), x => Assert.InRange(x, 2.8, 3.05));
    }

    // ------------------------------------------------------------------ validation

    [Theory]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Constructors_RejectABadLearningRate(double learningRate)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd<double>([NewParameter()], learningRate));
        Assert.Equal("learningRate", error.ParamName);
        Assert.Contains("Sgd: learningRate must be a finite number ≥ 0", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<double>([NewParameter()], learningRate));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW<float>([], learningRate));
        var sgd = new Sgd<double>([NewParameter()], 0.1);
        Assert.Contains("Sgd: LearningRate must be", Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = learningRate).Message);
        Assert.Equal(0.1, sgd.LearningRate);
    }

    [Fact]
    public void Sgd_RejectsBadHyperparameters()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd<double>([NewParameter()], 0.1, momentum: 1.0));
        Assert.Equal("momentum", error.ParamName);
        Assert.Contains("Sgd: momentum must be in [0, 1) but is 1", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd<double>([NewParameter()], 0.1, momentum: -0.5));
        Assert.Equal("weightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd<double>([NewParameter()], 0.1, weightDecay: -1)).ParamName);
        var nesterov = Assert.Throws<ArgumentException>(() => new Sgd<double>([NewParameter()], 0.1, nesterov: true));
        Assert.Contains("momentum", nesterov.Message);
    }

    [Fact]
    public void Adam_RejectsBadHyperparameters()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<double>([NewParameter()], beta1: 1.0));
        Assert.Equal("beta1", error.ParamName);
        Assert.Contains("Adam: beta1 must be in [0, 1) but is 1", error.Message);
        Assert.Equal("beta2", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW<double>([NewParameter()], beta2: -0.1)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<double>([NewParameter()], epsilon: -1e-8)).ParamName);
        Assert.Equal("weightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW<double>([NewParameter()], weightDecay: double.NaN)).ParamName);
    }

    [Fact]
    public void Constructors_RejectNullAndDuplicatedParameters()
    {
        Assert.Throws<ArgumentNullException>(() => new Sgd<double>(null!, 0.1));
        Assert.Throws<ArgumentNullException>(() => new Adam<double>([NewParameter(), null!]));
        var p = NewParameter();
        var twice = new Parameter<double>("again", p.Value, new Matrix<double>(1, 2));
        var error = Assert.Throws<ArgumentException>(() => new Sgd<double>([p, twice], 0.1));
        Assert.Contains("'again'", error.Message);
    }
}
