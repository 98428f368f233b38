using System.Linq;
using System.Collections.Generic;
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
            OpKind.Input or OpKind.Parameter or OpKind.LoopResult => null,
            OpKind.Loop => LoopForward(plan, instruction),
            OpKind.Branch => BranchForward(plan, instruction),
            OpKind.StateRead => $"{instruction.Text!.Replace("this.", "")} (a snapshot)",
            OpKind.StateUpdate => "state update: " + instruction.Source,
            OpKind.DropoutMask => $"1/(1 − {b}) where a uniform draw ≥ {b}, else 0 (shape of {a})",
            OpKind.Constant => instruction.IsLiteral ? null : instruction.Source,
            OpKind.MatMul => $"{a}{(instruction.TransposeA ? "ᵀ" : "")}·{b}{(instruction.TransposeB ? "ᵀ" : "")}",
            OpKind.Transpose => a + "ᵀ",
            OpKind.Add or OpKind.AddScalar or OpKind.ScalarAdd => $"{a} + {b}",
            OpKind.Sub or OpKind.ScalarSub => $"{a} − {b}",
            OpKind.Mul => $"{a} ⊙ {b}",
            OpKind.Div => $"{a} ⊘ {b}",
            OpKind.Maximum => $"max({a}, {b})",
            OpKind.Minimum => $"min({a}, {b})",
            OpKind.ScalarMul => $"{a}·{b}",
            OpKind.ScalarDiv => $"{a} / {b}",
            OpKind.Neg or OpKind.ScalarNeg => "−" + a,
            OpKind.Scale => $"{b}·{a}",
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
            OpKind.ForwardCall when instruction.Call!.Registered?.Notation is { } notation => Fill(plan, instruction, notation),
            OpKind.ForwardCall when instruction.Call!.IsRegisteredOp && instruction.Call.Registered!.ForwardInto =>
                $"{instruction.Call.MethodName.ToLowerInvariant()}({string.Join(", ", System.Linq.Enumerable.Select(instruction.Operands, o => Name(plan, o)))})",
            OpKind.ForwardCall => instruction.Source,
            _ => $"{instruction.Op.ToString().ToLowerInvariant()}({a})",
        };
        // A loop's or branch's notation names its results itself (its handle is no value a reader knows).
        if (instruction.Op is OpKind.Loop or OpKind.Branch or OpKind.StateUpdate)
            return expr;
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
            BackwardKernel.MaximumBackward => $"{Reduce(plan, step.Target)}{R(0)} ⊙ [{R(1)} > {R(2)}] (ties: ½)",
            BackwardKernel.MinimumBackward => $"{Reduce(plan, step.Target)}{R(0)} ⊙ [{R(1)} < {R(2)}] (ties: ½)",
            BackwardKernel.DivBackwardDenominator => $"−{R(0)} ⊙ {R(1)} ⊘ {R(2)}",
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
            BackwardKernel.CallBackward when instruction.Call!.IsRegisteredOp => RegisteredBackward(instruction, step, R),
            // One backward writes several gradients (Conv2dBackward): each step is its part; the call's comment has the formula.
            BackwardKernel.RegisteredInto when instruction.Call!.Parameters.Count(p => p.IsDifferentiable) > 1 =>
                $"∂L/∂{Name(plan, instruction.Operands[step.Position])}",
            BackwardKernel.RegisteredInto => Derivative(plan, instruction, step, R),
            BackwardKernel.CallBackward when instruction.Op == OpKind.Loop =>
                $"for {instruction.Loop!.Index} from the last iteration back to the first: {Callee(instruction)}Backward({string.Join(", ", step.Reads.Select((_, i) => R(i)))}) (carried adjoints passed back, the rest summed)",
            BackwardKernel.CallBackward when instruction.Op == OpKind.Branch =>
                $"{Name(plan, instruction.Operands[0])} ? {instruction.Branch!.Then}Backward({string.Join(", ", step.Reads.Select((_, i) => R(i)))}) : {instruction.Branch.Else}Backward(…)  (the arm taken)",
            BackwardKernel.CallBackward => $"{Callee(instruction)}Backward({R(0)})",
            BackwardKernel.CallGradient when instruction.Call!.IsRegisteredOp => $"{instruction.Call!.Backward}(…).∂{instruction.Call!.Parameters[step.Position].Name}",
            BackwardKernel.CallGradient => $"{Callee(instruction)}Backward(…).d{PascalParameter(instruction, step.Position)}",
            _ => step.Kernel.ToString(),
        };
        return step.Target >= 0 ? $"{target} {op} {expr}" : expr;
    }

    /// <summary>
    /// The comment of one call of a backward that writes several gradients: each destination's part, then the descriptor's
    /// <c>Derivative</c> (<c>dW += ∂L/∂W, dB += ∂L/∂B, where ∂L/∂x = …</c>).
    /// </summary>
    public static string FusedBackward(MethodPlan plan, IReadOnlyList<AdjointStep> steps)
    {
        var first = steps[0];
        var instruction = plan.Body.Instructions[first.Instruction];
        string R(int i) => first.Reads[i].IsAdjoint ? plan.AdjointNames[first.Reads[i].Value] : Name(plan, first.Reads[i].Value);
        string parts = string.Join(", ", steps.Select(step => Backward(plan, step)));
        return $"{parts}, where {Derivative(plan, instruction, first, R)}";
    }

    /// <summary>A registered backward as called: <c>MishBackward(x, dMish)</c> (its reads are its arguments, in order).</summary>
    private static string RegisteredBackward(Instruction instruction, AdjointStep step, System.Func<int, string> read)
    {
        var arguments = new List<string>();
        for (int i = 0; i < step.Reads.Length; i++)
            arguments.Add(read(i));
        return $"{instruction.Call!.Backward}({string.Join(", ", arguments)})";
    }

    /// <summary>
    /// A destination-passing registered backward as math: the descriptor's <c>Derivative</c> with <c>{dResult}</c>,
    /// <c>{result}</c> and the op's parameter names replaced by the values' names; else the backward's call.
    /// </summary>
    private static string Derivative(MethodPlan plan, Instruction instruction, AdjointStep step, System.Func<int, string> read)
    {
        if (instruction.Call!.Registered?.Derivative is not { } template)
            return RegisteredBackward(instruction, step, read);
        return Fill(plan, instruction, template).Replace("{dResult}", read(step.Reads.Length - 1));
    }

    /// <summary>A descriptor template with <c>{result}</c> and <c>{parameter}</c> replaced by the values' names.</summary>
    private static string Fill(MethodPlan plan, Instruction instruction, string template)
    {
        var call = instruction.Call!;
        string text = template.Replace("{result}", Name(plan, instruction.Result));
        for (int p = 0; p < call.Parameters.Count && p < instruction.Operands.Count; p++)
            text = text.Replace("{" + call.Parameters[p].Name + "}", Name(plan, instruction.Operands[p]));
        return text;
    }

    /// <summary><c>h2 = for t in [0, xs.Count): h = ForwardLoop1(t, xs[t], h)</c>.</summary>
    private static string LoopForward(MethodPlan plan, Instruction instruction)
    {
        var facts = instruction.Loop!;
        var results = Differentiation.Differentiator.LoopResults(plan.Body, plan.Backward.Activity.Definer[instruction.Result])
            .Select(r => r >= 0 ? Name(plan, r) : "_").ToList();
        string left = results.Count == 1 ? results[0] : "(" + string.Join(", ", results) + ")";
        string bound = facts.Inclusive ? "]" : ")";
        var arguments = facts.Inputs.Select(input => input.Kind switch
        {
            Model.LoopInputKind.Index => facts.Index,
            Model.LoopInputKind.Item => $"{Name(plan, instruction.Operands[input.Operand])}[{facts.Index}]",
            _ => instruction.Call!.Parameters[input.Operand].Name,
        });
        return $"{left} = for {facts.Index} in [{Name(plan, instruction.Operands[0])}, {Name(plan, instruction.Operands[1])}{bound}: {instruction.Call!.MethodName}({string.Join(", ", arguments)})";
    }

    /// <summary><c>h2 = training ? ForwardIf1Then(h) : ForwardIf1Else(h)</c>.</summary>
    private static string BranchForward(MethodPlan plan, Instruction instruction)
    {
        var facts = instruction.Branch!;
        var results = Differentiation.Differentiator.LoopResults(plan.Body, plan.Backward.Activity.Definer[instruction.Result])
            .Select(r => r >= 0 ? Name(plan, r) : "_").ToList();
        string left = results.Count == 1 ? results[0] : "(" + string.Join(", ", results) + ")";
        string arguments = string.Join(", ", facts.Inputs.Select(input => Name(plan, instruction.Operands[input.Operand])));
        return $"{left} = {Name(plan, instruction.Operands[0])} ? {facts.Then}({arguments}) : {facts.Else}({arguments})";
    }

    private static string Callee(Instruction instruction)
    {
        var call = instruction.Call!;
        string prefix = call.Kind switch
        {
            CalleeKind.Sublayer => call.Receiver + ".",
            CalleeKind.SublayerElement => call.Receiver + "[…].",
            _ => "",
        };
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
