using LayerGen.Generator.Differentiation;
using LayerGen.Generator.Model;
using LayerGen.Generator.Planning;

namespace LayerGen.Generator.Emit;

/// <summary>
/// The seed article's mathematical notation for forward instructions and backward steps
/// (<c>z = x·W + B</c>, <c>dW += xᵀ·dz</c>), used in comments and in the derivation remarks.
/// </summary>
internal static class Notation
{
    /// <summary>The forward instruction as math (<c>z = x·W</c>), or null for sources.</summary>
    public static string? Forward(MethodPlan plan, Instruction instruction)
    {
        string N(int i) => Name(plan, instruction.Operands[i]);
        string a = instruction.Operands.Count > 0 ? N(0) : "";
        string b = instruction.Operands.Count > 1 ? N(1) : "";
        string? expr = instruction.Op switch
        {
            OpKind.Input or OpKind.Parameter => null,
            OpKind.Constant => instruction.IsLiteral ? null : instruction.Source,
            OpKind.MatMul => $"{a}{(instruction.TransposeA ? "ᵀ" : "")}·{b}{(instruction.TransposeB ? "ᵀ" : "")}",
            OpKind.Transpose => a + "ᵀ",
            OpKind.Add or OpKind.AddScalar or OpKind.ScalarAdd => $"{a} + {b}",
            OpKind.Sub or OpKind.ScalarSub => $"{a} − {b}",
            OpKind.Mul => $"{a} ⊙ {b}",
            OpKind.Div => $"{a} ⊘ {b}",
            OpKind.ScalarMul => $"{a}·{b}",
            OpKind.ScalarDiv => $"{a} / {b}",
            OpKind.Neg or OpKind.ScalarNeg => "−" + a,
            OpKind.Scale => $"{b}·{a}",
            OpKind.LeakyRelu => $"leakyrelu({a}, {b})",
            OpKind.Sum => $"Σ {a}",
            OpKind.Mean => $"mean({a})",
            OpKind.SumOfSquares => $"Σ {a}²",
            OpKind.Dot => $"⟨{a}, {b}⟩",
            OpKind.SumAxis => instruction.Axis == 0 ? $"Σrows {a}" : $"Σcols {a}",
            OpKind.MeanAxis => instruction.Axis == 0 ? $"meanrows {a}" : $"meancols {a}",
            OpKind.Concat => instruction.Axis == 0 ? $"[{a}; {b}]" : $"[{a} | {b}]",
            OpKind.SliceRows => $"{a}[{b} : {b} + {N(2)}, :]",
            OpKind.SliceColumns => $"{a}[:, {b} : {b} + {N(2)}]",
            OpKind.SoftmaxCrossEntropy => $"CE(softmax({a}), {b})",
            OpKind.MeanSquaredError => $"mse({a}, {b})",
            OpKind.BinaryCrossEntropyWithLogits => $"bce(σ({a}), {b})",
            OpKind.ForwardCall => instruction.Source,
            _ => $"{instruction.Op.ToString().ToLowerInvariant()}({a})",
        };
        return expr is null ? null : $"{Name(plan, instruction.Result)} = {expr}";
    }

    /// <summary>The backward step as math (<c>dW += xᵀ·dz</c>).</summary>
    public static string Backward(MethodPlan plan, AdjointStep step)
    {
        var instruction = plan.Body.Instructions[step.Instruction];
        string R(int i) => step.Reads[i].IsAdjoint ? plan.AdjointNames[step.Reads[i].Value] : Name(plan, step.Reads[i].Value);
        string target = step.Target >= 0 ? plan.AdjointNames[step.Target] : "";
        string op = step.Accumulate ? "+=" : "=";
        string T(bool t) => t ? "ᵀ" : "";
        string expr = step.Kernel switch
        {
            BackwardKernel.Seed => Emitter.SeedName(plan, step),
            BackwardKernel.MatMul => $"{R(0)}{T(step.TransposeA)}·{R(1)}{T(step.TransposeB)}",
            BackwardKernel.SumToShape => Reduce(plan, step.Target) + R(0),
            BackwardKernel.SumToShapeNegated => "−" + Reduce(plan, step.Target) + R(0),
            BackwardKernel.Neg => "−" + R(0),
            BackwardKernel.Scale => $"{R(1)}·{R(0)}",
            BackwardKernel.Transpose => R(0) + "ᵀ",
            BackwardKernel.MulBackward => $"{R(0)} ⊙ {R(1)}",
            BackwardKernel.DivBackwardNumerator => $"{R(0)} ⊘ {R(1)}",
            BackwardKernel.DivBackwardDenominator => $"−{R(0)} ⊙ {R(1)} ⊘ {R(2)}",
            BackwardKernel.ReluBackward => $"{R(1)} ⊙ [{R(0)} > 0]",
            BackwardKernel.LeakyReluBackward => $"{R(2)} ⊙ [{R(0)} > 0 ? 1 : {R(1)}]",
            BackwardKernel.SigmoidBackward => $"{R(1)} ⊙ {R(0)}(1 − {R(0)})",
            BackwardKernel.TanhBackward => $"{R(1)} ⊙ (1 − {R(0)}²)",
            BackwardKernel.GeluBackward => $"{R(1)} ⊙ gelu′({R(0)})",
            BackwardKernel.SoftplusBackward => $"{R(1)} ⊙ σ({R(0)})",
            BackwardKernel.ExpBackward => $"{R(1)} ⊙ {R(0)}",
            BackwardKernel.LogBackward => $"{R(1)} ⊘ {R(0)}",
            BackwardKernel.SqrtBackward => $"{R(1)} ⊘ 2{R(0)}",
            BackwardKernel.SquareBackward => $"2{R(0)} ⊙ {R(1)}",
            BackwardKernel.AbsBackward => $"sign({R(0)}) ⊙ {R(1)}",
            BackwardKernel.SoftmaxBackward => $"{R(0)} ⊙ ({R(1)} − rowsum({R(1)} ⊙ {R(0)}))",
            BackwardKernel.LogSoftmaxBackward => $"{R(1)} − exp({R(0)}) ⊙ rowsum({R(1)})",
            BackwardKernel.SumBackward => $"{R(0)}·1",
            BackwardKernel.MeanBackward => $"{R(0)}/n·1",
            BackwardKernel.SumOfSquaresBackward => $"2{R(1)}·{R(0)}",
            BackwardKernel.BroadcastTo => $"broadcast({R(0)})",
            BackwardKernel.BroadcastToMean => $"broadcast({R(0)})/n",
            BackwardKernel.ConcatSlice => step.Position == 0 ? $"{R(0)}[first part]" : $"{R(0)}[second part]",
            BackwardKernel.SliceRowsBackward or BackwardKernel.SliceColumnsBackward => $"scatter({R(0)})",
            BackwardKernel.SoftmaxCrossEntropyBackward => $"(P − onehot({R(1)}))/N·{R(2)}",
            BackwardKernel.MeanSquaredErrorBackward => step.Position == 0 ? $"2({R(0)} − {R(1)})/n·{R(2)}" : $"2({R(1)} − {R(0)})/n·{R(2)}",
            BackwardKernel.BinaryCrossEntropyWithLogitsBackward => step.Position == 0 ? $"(σ({R(0)}) − {R(1)})/n·{R(2)}" : $"−{R(0)}/n·{R(2)}",
            BackwardKernel.ScalarCopy => R(0),
            BackwardKernel.ScalarNegate => "−" + R(0),
            BackwardKernel.ScalarMul => $"{R(0)}·{R(1)}",
            BackwardKernel.ScalarDiv => $"{R(0)} / {R(1)}",
            BackwardKernel.ScalarDivDenominator => $"−{R(0)}·{R(1)} / {R(2)}",
            BackwardKernel.MatrixSum => $"Σ {R(0)}",
            BackwardKernel.MatrixDot => $"⟨{R(0)}, {R(1)}⟩",
            BackwardKernel.CallBackward => $"{Callee(instruction)}Backward({R(0)})",
            BackwardKernel.CallGradient => $"{Callee(instruction)}Backward(…).d{PascalParameter(instruction, step.Position)}",
            _ => step.Kernel.ToString(),
        };
        return step.Target >= 0 ? $"{target} {op} {expr}" : expr;
    }

    private static string Callee(Instruction instruction)
    {
        var call = instruction.Call!;
        string prefix = call.Kind == CalleeKind.Sublayer ? call.Receiver + "." : "";
        return prefix + (call.MethodName == "Forward" ? "" : call.MethodName);
    }

    private static string PascalParameter(Instruction instruction, int position) =>
        MethodPlan.Pascal(instruction.Call!.Parameters[position].Name);

    private static string Reduce(MethodPlan plan, int target)
    {
        var shape = plan.Body.Values[target].Shape;
        if (shape?.Rows == "1" && shape.Cols != "1")
            return "Σrows ";
        if (shape?.Cols == "1" && shape.Rows != "1")
            return "Σcols ";
        return "";
    }

    private static string Name(MethodPlan plan, int value) => plan.Names[value].Replace("this.", "");
}
