using LayerGen.Generator.Model;

namespace LayerGen.Generator.Differentiation;

/// <summary>The runtime backward kernel (or scalar formula) an <see cref="AdjointStep"/> calls.</summary>
internal enum BackwardKernel
{
    /// <summary>The result is a source (an input or parameter returned as is): copy dOutput into its adjoint.</summary>
    Seed,
    /// <summary><c>Ops.MatMul(r0, r1, d, transposeA, transposeB, accumulate)</c>.</summary>
    MatMul,
    /// <summary><c>Ops.SumToShape(r0, d, accumulate)</c>: the adjoint of broadcasting (a copy when shapes agree).</summary>
    SumToShape,
    /// <summary><c>Ops.SumToShape(r0, −1, d, accumulate)</c>.</summary>
    SumToShapeNegated,
    /// <summary><c>Ops.Neg(r0, d, accumulate)</c>.</summary>
    Neg,
    /// <summary><c>Ops.Scale(r0, r1, d, accumulate)</c> (r1 a scalar).</summary>
    Scale,
    /// <summary><c>Ops.Transpose(r0, d, accumulate)</c>.</summary>
    Transpose,
    /// <summary><c>Ops.MulBackward(r0 = dY, r1 = other, d, accumulate)</c>.</summary>
    MulBackward,
    /// <summary><c>Ops.DivBackwardNumerator(dY, b, d, accumulate)</c>.</summary>
    DivBackwardNumerator,
    /// <summary><c>Ops.MaximumBackward(dY, input, other, d, accumulate)</c>.</summary>
    MaximumBackward,
    /// <summary><c>Ops.MinimumBackward(dY, input, other, d, accumulate)</c>.</summary>
    MinimumBackward,
    /// <summary><c>Ops.DivBackwardDenominator(dY, y, b, d, accumulate)</c>.</summary>
    DivBackwardDenominator,
    /// <summary>Σa: <c>d.Fill(ds)</c> or <c>Ops.AddScalar(ds, d)</c>.</summary>
    SumBackward,
    /// <summary>mean a: as <see cref="SumBackward"/> with ds / a.Length (r1 = a).</summary>
    MeanBackward,
    /// <summary>Σa²: <c>Ops.Scale(a, 2·ds, d, accumulate)</c>.</summary>
    SumOfSquaresBackward,
    /// <summary>Σ along an axis: <c>Ops.BroadcastTo(dY, d, accumulate)</c>.</summary>
    BroadcastTo,
    /// <summary>mean along an axis: <c>Ops.BroadcastTo(dY, 1/count, d, accumulate)</c> (r1 = a).</summary>
    BroadcastToMean,
    /// <summary>Concat: the slice of dY that operand <see cref="AdjointStep.Position"/> occupied (r1 = first operand).</summary>
    ConcatSlice,
    /// <summary><c>Ops.SliceRowsBackward(dY, start, d, accumulate)</c> (r1 = start).</summary>
    SliceRowsBackward,
    /// <summary><c>Ops.SliceColumnsBackward(dY, start, d, accumulate)</c> (r1 = start).</summary>
    SliceColumnsBackward,
    /// <summary><c>Losses.SoftmaxCrossEntropyBackward(P, labels, dL, d, accumulate)</c> (P saved by the forward).</summary>
    SoftmaxCrossEntropyBackward,
    /// <summary><c>Losses.MeanSquaredErrorBackward(p, t, dL, d or null, …)</c>.</summary>
    MeanSquaredErrorBackward,
    /// <summary><c>Losses.BinaryCrossEntropyWithLogitsBackward(z, t, dL, d or null, …)</c>.</summary>
    BinaryCrossEntropyWithLogitsBackward,
    /// <summary>Scalar: d (+)= ds.</summary>
    ScalarCopy,
    /// <summary>Scalar: d (+)= −ds.</summary>
    ScalarNegate,
    /// <summary>Scalar: d (+)= ds · r1.</summary>
    ScalarMul,
    /// <summary>Scalar: d (+)= ds / r1.</summary>
    ScalarDiv,
    /// <summary>Scalar y = a / b: d (+)= −ds · y / b.</summary>
    ScalarDivDenominator,
    /// <summary>Scalar: d (+)= Σ dY (the scalar operand of a broadcast add).</summary>
    MatrixSum,
    /// <summary>Scalar: d (+)= Ops.Dot(r0, r1).</summary>
    MatrixDot,
    /// <summary>Call the callee's generated backward (sublayer gradients accumulate there).</summary>
    CallBackward,
    /// <summary>A registered op's destination-passing backward: <c>Op.Backward(saved…, dY, d, accumulate)</c>.</summary>
    RegisteredInto,
    /// <summary>Take the callee's returned gradient for argument <see cref="AdjointStep.Position"/>.</summary>
    CallGradient,
}

/// <summary>A read in a backward step: a forward value or the adjoint of one.</summary>
/// <param name="Value">The value id.</param>
/// <param name="IsAdjoint">The adjoint (∂L/∂value) rather than the value.</param>
internal readonly record struct Ref(int Value, bool IsAdjoint)
{
    /// <summary>The value itself.</summary>
    public static Ref Of(int value) => new(value, false);

    /// <summary>Its adjoint.</summary>
    public static Ref D(int value) => new(value, true);
}

/// <summary>One statement of the backward pass: adjoint(<see cref="Target"/>) (+)= kernel(<see cref="Reads"/>).</summary>
/// <remarks>Immutable: the differentiator decides its flags with <c>with</c> expressions, and later passes only read it.</remarks>
/// <param name="Instruction">Index of the forward instruction it reverses.</param>
/// <param name="Kernel">What it calls.</param>
/// <param name="Target">The value whose adjoint it writes, or −1 (a call's backward).</param>
/// <param name="Reads">What it reads, in the kernel's argument order.</param>
/// <param name="Position">Which operand of the instruction it differentiates for.</param>
/// <param name="TransposeA">MatMul kernel flag.</param>
/// <param name="TransposeB">MatMul kernel flag.</param>
internal sealed record AdjointStep(int Instruction, BackwardKernel Kernel, int Target, Ref[] Reads, int Position = 0,
    bool TransposeA = false, bool TransposeB = false)
{
    /// <summary>Adds into the adjoint (false: the first contribution overwrites). Parameter gradients always add.</summary>
    public bool Accumulate { get; init; }

    /// <summary>CallGradient only: the adjoint simply is the callee's returned matrix (one contribution, not a parameter).</summary>
    public bool Alias { get; init; }

    /// <summary>SumToShape only: the operand has statically the result's shape and no other use, so its adjoint is the result's (no copy).</summary>
    public bool PassThrough { get; init; }

    /// <summary>
    /// SumToShape only: as <see cref="PassThrough"/>, but the shapes are not known statically (no <c>[Shape]</c>): the
    /// adjoint is the result's when the operand turns out not to be broadcast at run time, else reduced into a buffer.
    /// </summary>
    public bool PassThroughIfSameShape { get; init; }
}

/// <summary>
/// The rule table: for every <see cref="OpKind"/>, which operands receive gradient and the adjoint step for each.
/// This is the one place where the chain rule for each op is written down (DESIGN.md §1).
/// </summary>
/// <remarks>
/// User-registered derivative rules (a later issue) extend this table: a rule keyed by the method's symbol name,
/// captured by the parser into an instruction with <c>OpKind.CustomRule</c> and the rule's key, maps to the user's
/// backward method exactly as <see cref="BackwardKernel.CallBackward"/> does for a forward call.
/// </remarks>
internal static class AdjointRules
{
    /// <summary>
    /// What a registered op's backward reads before ∂L/∂result, in its signature's order: the op's arguments and/or its
    /// result, as its descriptor says. Exactly these are saved on the tape for it.
    /// </summary>
    public static System.Collections.Generic.IEnumerable<Ref> SavedReads(Instruction instruction)
    {
        var call = instruction.Call!;
        if (call.Registered?.TakesArguments ?? true)
        {
            foreach (int operand in instruction.Operands)
                yield return Ref.Of(operand);
        }
        if (call.BackwardTakesResult)
            yield return Ref.Of(instruction.Result);
    }

    /// <summary>Whether the op propagates gradient to operand <paramref name="position"/>.</summary>
    public static bool IsDifferentiableOperand(Instruction instruction, int position) => instruction.Op switch
    {
        OpKind.Input or OpKind.Parameter or OpKind.Constant or OpKind.DropoutMask or OpKind.StateRead or OpKind.StateUpdate => false,
        OpKind.SliceRows or OpKind.SliceColumns => position == 0, // start/count are ints
        OpKind.SoftmaxCrossEntropy => position == 0,              // labels are ints
        OpKind.ForwardCall or OpKind.Loop or OpKind.Branch => instruction.Call is { } call && position < call.Parameters.Count && call.Parameters[position].IsDifferentiable,
        OpKind.LoopResult => true, // the loop's backward reads ∂L/∂ each result
        _ => true,
    };

    /// <summary>
    /// The adjoint step for operand <paramref name="position"/> of instruction <paramref name="index"/>:
    /// y = op(a, b, …), dY = ∂L/∂y.
    /// </summary>
    /// <param name="instruction">The forward instruction.</param>
    /// <param name="index">Its index.</param>
    /// <param name="position">The operand.</param>
    public static AdjointStep Contribution(Instruction instruction, int index, int position)
    {
        var ops = instruction.Operands;
        int y = instruction.Result;
        int a = ops[0];
        int b = ops.Count > 1 ? ops[1] : -1;
        int target = ops[position];
        var dY = Ref.D(y);
        AdjointStep Step(BackwardKernel kernel, params Ref[] reads) => new(index, kernel, target, reads, position);

        switch (instruction.Op)
        {
            // Y = op(A)·op(B): dA = dY·op(B)ᵀ and dB = op(A)ᵀ·dY, each written straight into the GEMM with transpose
            // flags (no transpose materialised); the four cases follow from (XY)ᵀ = YᵀXᵀ.
            case OpKind.MatMul:
                bool ta = instruction.TransposeA, tb = instruction.TransposeB;
                if (position == 0)
                {
                    return ta
                        ? new(index, BackwardKernel.MatMul, target, new[] { Ref.Of(b), dY }, 0, tb, true)   // dA = op(B)·dYᵀ
                        : new(index, BackwardKernel.MatMul, target, new[] { dY, Ref.Of(b) }, 0, false, !tb); // dA = dY·op(B)ᵀ
                }
                return tb
                    ? new(index, BackwardKernel.MatMul, target, new[] { dY, Ref.Of(a) }, 1, true, ta)       // dB = dYᵀ·op(A)
                    : new(index, BackwardKernel.MatMul, target, new[] { Ref.Of(a), dY }, 1, !ta, false);    // dB = op(A)ᵀ·dY

            case OpKind.Transpose:
                return Step(BackwardKernel.Transpose, dY);

            // Broadcast add/sub: the batch rows add up (SumToShape reduces to the operand's shape).
            case OpKind.Add:
                return Step(BackwardKernel.SumToShape, dY);
            case OpKind.Sub:
                return Step(position == 0 ? BackwardKernel.SumToShape : BackwardKernel.SumToShapeNegated, dY);
            case OpKind.AddScalar:
                return position == 0 ? Step(BackwardKernel.SumToShape, dY) : Step(BackwardKernel.MatrixSum, dY);
            case OpKind.Mul:
                return Step(BackwardKernel.MulBackward, dY, Ref.Of(position == 0 ? b : a));
            case OpKind.Div:
                return position == 0
                    ? Step(BackwardKernel.DivBackwardNumerator, dY, Ref.Of(b))
                    : Step(BackwardKernel.DivBackwardDenominator, dY, Ref.Of(y), Ref.Of(b));
            // max/min: the operand that won takes dY (ties share it), reduced to its shape.
            case OpKind.Maximum or OpKind.Minimum:
                return Step(instruction.Op == OpKind.Maximum ? BackwardKernel.MaximumBackward : BackwardKernel.MinimumBackward,
                    dY, Ref.Of(position == 0 ? a : b), Ref.Of(position == 0 ? b : a));
            case OpKind.Neg:
                return Step(BackwardKernel.Neg, dY);
            case OpKind.Scale:
                // y = s·a: da = s·dy; ds = Σ dy ⊙ a.
                return position == 0 ? Step(BackwardKernel.Scale, dY, Ref.Of(b)) : Step(BackwardKernel.MatrixDot, dY, Ref.Of(a));

            // Reductions: the adjoint of a sum is a broadcast of the incoming gradient.
            case OpKind.Sum:
                return Step(BackwardKernel.SumBackward, dY);
            case OpKind.Mean:
                return Step(BackwardKernel.MeanBackward, dY, Ref.Of(a));
            case OpKind.SumOfSquares:
                return Step(BackwardKernel.SumOfSquaresBackward, Ref.Of(a), dY);
            case OpKind.Dot:
                // s = Σ a ⊙ b: da = ds·b, db = ds·a.
                return Step(BackwardKernel.Scale, Ref.Of(position == 0 ? b : a), dY);
            case OpKind.SumAxis:
                return Step(BackwardKernel.BroadcastTo, dY);
            case OpKind.MeanAxis:
                return Step(BackwardKernel.BroadcastToMean, dY, Ref.Of(a));

            // Shape ops: concat's backward is two slices; a slice's backward scatters into the rest.
            case OpKind.Concat:
                return Step(BackwardKernel.ConcatSlice, dY, Ref.Of(a));
            case OpKind.SliceRows:
                return Step(BackwardKernel.SliceRowsBackward, dY, Ref.Of(b));
            case OpKind.SliceColumns:
                return Step(BackwardKernel.SliceColumnsBackward, dY, Ref.Of(b));

            // Losses: softmax + cross-entropy is the fused (P − onehot)/N rule, never through exp/log.
            case OpKind.SoftmaxCrossEntropy:
                return Step(BackwardKernel.SoftmaxCrossEntropyBackward, Ref.Of(y), Ref.Of(b), dY);
            case OpKind.MeanSquaredError:
                return Step(BackwardKernel.MeanSquaredErrorBackward, Ref.Of(a), Ref.Of(b), dY);
            case OpKind.BinaryCrossEntropyWithLogits:
                return Step(BackwardKernel.BinaryCrossEntropyWithLogitsBackward, Ref.Of(a), Ref.Of(b), dY);

            // Scalar arithmetic.
            case OpKind.ScalarAdd:
                return Step(BackwardKernel.ScalarCopy, dY);
            case OpKind.ScalarSub:
                return Step(position == 0 ? BackwardKernel.ScalarCopy : BackwardKernel.ScalarNegate, dY);
            case OpKind.ScalarMul:
                return Step(BackwardKernel.ScalarMul, dY, Ref.Of(position == 0 ? b : a));
            case OpKind.ScalarDiv:
                return position == 0
                    ? Step(BackwardKernel.ScalarDiv, dY, Ref.Of(b))
                    : Step(BackwardKernel.ScalarDivDenominator, dY, Ref.Of(y), Ref.Of(b));
            case OpKind.ScalarNeg:
                return Step(BackwardKernel.ScalarNegate, dY);

            // A registered op whose backward writes into a destination: d (+)= Backward(saved…, dY), one fused step.
            case OpKind.ForwardCall when instruction.Call!.Registered is { BackwardInto: true }:
            {
                var reads = new System.Collections.Generic.List<Ref>(SavedReads(instruction)) { dY };
                return Step(BackwardKernel.RegisteredInto, reads.ToArray());
            }

            // A call of another [Forward] method (or a registered op): its backward returns the argument gradients.
            case OpKind.ForwardCall or OpKind.Loop or OpKind.Branch:
                return Step(BackwardKernel.CallGradient);

            default:
                throw new System.InvalidOperationException($"No adjoint rule for {instruction.Op}.");
        }
    }
}
