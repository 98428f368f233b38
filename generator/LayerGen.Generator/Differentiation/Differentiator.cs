using System.Collections.Generic;
using System.Linq;
using LayerGen.Generator.Model;
using LayerGen.Generator.Shapes;

namespace LayerGen.Generator.Differentiation;

/// <summary>Which values take part in the forward and backward passes.</summary>
/// <param name="Live">The result depends on the value (through any operand): the training forward computes it.</param>
/// <param name="Useful">The result depends on it through differentiable operands.</param>
/// <param name="Active">Useful and varied (depends on a parameter or differentiable input): it gets an adjoint.</param>
/// <param name="Definer">For each value, the index of the instruction that defines it.</param>
internal sealed record Activity(bool[] Live, bool[] Useful, bool[] Active, int[] Definer)
{
    /// <summary>Activity analysis of a forward body: forward (varied, from the parser) meets backward (useful).</summary>
    public static Activity Analyze(ForwardBody body)
    {
        int n = body.Values.Count;
        var live = new bool[n];
        var useful = new bool[n];
        var active = new bool[n];
        var definer = new int[n];
        for (int i = 0; i < body.Instructions.Count; i++)
            definer[body.Instructions[i].Result] = i;

        foreach (int result in body.AllResults)
        {
            live[result] = true;
            useful[result] = true;
        }
        // A state update is an effect of the training forward: it runs although nothing reads it (and is never differentiated).
        foreach (var instruction in body.Instructions)
        {
            if (instruction.Op == OpKind.StateUpdate)
                live[instruction.Result] = true;
        }
        for (int i = body.Instructions.Count - 1; i >= 0; i--)
        {
            var instruction = body.Instructions[i];
            for (int p = 0; p < instruction.Operands.Count; p++)
            {
                int operand = instruction.Operands[p];
                live[operand] |= live[instruction.Result];
                useful[operand] |= useful[instruction.Result] && AdjointRules.IsDifferentiableOperand(instruction, p);
            }
        }
        for (int v = 0; v < n; v++)
            active[v] = useful[v] && body.Values[v].IsVaried
                && (body.Values[v].Kind != ValueKind.Other || body.Instructions[definer[v]].Op is OpKind.Loop or OpKind.Branch);
        return new Activity(live, useful, active, definer);
    }
}

/// <summary>The backward pass as a list of adjoint steps, in execution order.</summary>
/// <param name="Activity">The activity analysis it was derived from.</param>
/// <param name="Steps">The steps.</param>
/// <param name="Contributions">For each value, how many steps write its adjoint.</param>
/// <param name="Feeds">
/// For each step (same index as <paramref name="Steps"/>), the differentiable inputs whose gradients it contributes to,
/// or null when it contributes to a trainable parameter's gradient (parameters always need theirs, so the step always
/// runs) or to nothing traceable (conservatively: always runs). A step whose inputs are all unneeded by the caller is skipped (<see cref="InputDemand"/>).
/// </param>
internal sealed record BackwardProgram(Activity Activity, IReadOnlyList<AdjointStep> Steps, int[] Contributions, int[]?[] Feeds);

/// <summary>
/// Reverse-mode differentiation of the IR: walks the instructions backwards and applies the rule table to every
/// active instruction. A pure function of the forward body.
/// </summary>
internal static class Differentiator
{
    /// <summary>Builds the backward program.</summary>
    /// <param name="body">The forward body.</param>
    /// <param name="shapes">
    /// What <see cref="ShapeInference.Infer"/> found for that body: the planner asks it only the definitely-equal query
    /// (<see cref="ShapeResult.DefinitelySameShape"/>), so an unproven equality never shares a buffer.
    /// </param>
    public static BackwardProgram Differentiate(ForwardBody body, ShapeResult shapes)
    {
        var activity = Activity.Analyze(body);
        var steps = new List<AdjointStep>();
        var instructions = body.Instructions;

        // The result's adjoint is dOutput itself; only a result that is a source (an input returned as is) needs a copy.
        // A tuple's elements may feed each other (return (h, tanh(h))): each adjoint starts as a copy of its ∂L/∂element
        // (Position: the element), to which the uses inside the body add.
        if (body.Results.Count > 0)
        {
            for (int k = 0; k < body.Results.Count; k++)
            {
                int result = body.Results[k];
                if (activity.Active[result])
                    steps.Add(new AdjointStep(activity.Definer[result], BackwardKernel.Seed, result, System.Array.Empty<Ref>(), k));
            }
        }
        else
        {
            var resultInstruction = instructions[activity.Definer[body.Result]];
            if (resultInstruction.Op is OpKind.Input or OpKind.Parameter && activity.Active[body.Result])
                steps.Add(new AdjointStep(activity.Definer[body.Result], BackwardKernel.Seed, body.Result, System.Array.Empty<Ref>()));
        }

        // Reverse order: every use of a value comes after its definition, so its adjoint is complete when read.
        for (int i = instructions.Count - 1; i >= 0; i--)
        {
            var instruction = instructions[i];
            if (!activity.Active[instruction.Result] || instruction.Op is OpKind.Input or OpKind.Parameter or OpKind.Constant)
                continue;

            // A call's backward runs once and its returned gradients are taken apart (CallGradient); a registered op whose
            // backward writes into a destination is one step per operand instead (AdjointRules).
            if (instruction.Op == OpKind.ForwardCall && instruction.Call!.Registered is not { BackwardInto: true })
                steps.Add(new AdjointStep(i, BackwardKernel.CallBackward, -1, CallBackwardReads(instruction)));
            // A loop's backward walks its iterations in reverse, from ∂L/∂ each loop result (the LoopResults, which add
            // nothing themselves: the loop reads their adjoints), and returns the gradients of the outer values it read;
            // a branch's runs the backward of the arm the forward took, likewise.
            if (instruction.Op == OpKind.LoopResult)
                continue;
            if (instruction.Op is OpKind.Loop or OpKind.Branch)
                steps.Add(new AdjointStep(i, BackwardKernel.CallBackward, -1, LoopResults(body, i).Where(r => activity.Active[r]).Select(Ref.D).ToArray()));

            for (int p = 0; p < instruction.Operands.Count; p++)
            {
                int operand = instruction.Operands[p];
                if (!activity.Active[operand] || !AdjointRules.IsDifferentiableOperand(instruction, p))
                    continue;
                steps.Add(AdjointRules.Contribution(instruction, i, p));
            }
        }

        // First contribution overwrites, later ones add; parameter gradients always add (PyTorch semantics).
        var contributions = new int[body.Values.Count];
        foreach (var step in steps)
        {
            if (step.Target >= 0)
                contributions[step.Target]++;
        }
        // An Add/Sub operand computed only for this op, with definitely the result's shape, shares the result's
        // adjoint (no buffer, no copy): dz flows straight into the product's rule, as in the article.
        var uses = new int[body.Values.Count];
        foreach (var instruction in instructions)
        {
            if (activity.Live[instruction.Result])
            {
                foreach (int operand in instruction.Operands)
                    uses[operand]++;
            }
        }
        var initialized = new HashSet<int>();
        for (int s = 0; s < steps.Count; s++)
        {
            var step = steps[s];
            if (step.Target < 0)
                continue;
            var instruction = instructions[step.Instruction];
            bool candidate = step.Kernel == BackwardKernel.SumToShape
                && instruction.Op is OpKind.Add or OpKind.Sub
                && uses[step.Target] == 1 && contributions[step.Target] == 1
                && instructions[activity.Definer[step.Target]].Op is not (OpKind.Input or OpKind.Parameter or OpKind.Constant or OpKind.ForwardCall);
            bool passThrough = candidate && shapes.DefinitelySameShape(step.Target, instruction.Result);
            bool isParameter = instructions[activity.Definer[step.Target]].Op == OpKind.Parameter;
            steps[s] = step with
            {
                PassThrough = passThrough,
                // Not proven either way: decide at run time (the common x·W + B without [Shape] shares dz too). Shapes that
                // the declarations alone determine and that differ ([N, 1] against [N, C]) need the reduction: no check.
                PassThroughIfSameShape = candidate && !passThrough && !DeclaredAndUnequal(shapes, step.Target, instruction.Result),
                // First contribution overwrites, later ones add; parameter gradients always add (PyTorch semantics).
                Accumulate = isParameter || !initialized.Add(step.Target),
                Alias = step.Kernel == BackwardKernel.CallGradient && !isParameter && contributions[step.Target] == 1
                    && body.Values[step.Target].Kind is ValueKind.Matrix or ValueKind.Sequence,
            };
        }
        return new BackwardProgram(activity, steps, contributions, InputDemand.Analyze(body, activity, steps));
    }

    /// <summary>The LoopResult values of the loop or branch instruction at <paramref name="index"/>, by result position (−1: none).</summary>
    public static int[] LoopResults(ForwardBody body, int index)
    {
        var instruction = body.Instructions[index];
        var results = new int[instruction.ResultCount];
        for (int k = 0; k < results.Length; k++)
            results[k] = -1;
        for (int i = index + 1; i < body.Instructions.Count; i++)
        {
            var other = body.Instructions[i];
            if (other.Op == OpKind.LoopResult && other.Operands[0] == instruction.Result)
                results[other.Axis] = other.Result;
        }
        return results;
    }

    /// <summary>
    /// What a call's backward reads, in its argument order: a [Forward] callee's only ∂L/∂result; a registered op's
    /// exactly what its signature names (its arguments and/or result, then ∂L/∂result), which is all the tape saves for it.
    /// </summary>
    private static Ref[] CallBackwardReads(Instruction instruction)
    {
        // An element of a collection of sublayers: the backward also reads which element (its index, after the arguments).
        if (instruction.Call!.Kind == CalleeKind.SublayerElement)
            return new[] { Ref.D(instruction.Result), Ref.Of(instruction.Operands[instruction.Call.Parameters.Count]) };
        if (!instruction.Call!.IsRegisteredOp)
            return new[] { Ref.D(instruction.Result) };
        return new List<Ref>(AdjointRules.SavedReads(instruction)) { Ref.D(instruction.Result) }.ToArray();
    }

    /// <summary>
    /// Both shapes are determined by the user's names and constants alone (no inference variable) and their normal
    /// forms differ: the operand is reduced to its own shape, so no run-time same-shape check is worth emitting.
    /// (Only a choice of code: a wrong "no" merely keeps the reduction, which is always correct.)
    /// </summary>
    private static bool DeclaredAndUnequal(ShapeResult shapes, int a, int b) =>
        shapes.ShapeOf(a) is { } x && shapes.ShapeOf(b) is { } y
        && new[] { x.Rows, x.Cols, y.Rows, y.Cols }.All(d => d.Symbols.All(s => !Unifier.IsVariable(s)))
        && !shapes.DefinitelySameShape(a, b);
}

/// <summary>
/// Activity analysis of the backward pass, per input: which targets (trainable parameters, differentiable inputs)
/// each adjoint step feeds. A caller that needs only some input gradients (a sublayer whose input is a [NoGrad] batch
/// never needs ∂L/∂x) runs only the steps that feed a parameter or a needed input: for <c>y = relu(x·W + B)</c> the
/// step <c>dx = dz·Wᵀ</c> feeds only x and is skipped, a whole GEMM.
/// </summary>
internal static class InputDemand
{
    /// <summary>Per step: the inputs it feeds, or null when it feeds a trainable parameter (always runs).</summary>
    public static int[]?[] Analyze(ForwardBody body, Activity activity, IReadOnlyList<AdjointStep> steps)
    {
        var instructions = body.Instructions;
        int n = body.Values.Count;
        // What each adjoint dv feeds: the union over the steps that read dv. Steps run in reverse forward order, so
        // every reader of dv comes after its writers: walking the steps backwards sees all readers first.
        var feedsParameter = new bool[n];
        var feedsInputs = new SortedSet<int>?[n];
        var stepParameter = new bool[steps.Count];
        var stepInputs = new SortedSet<int>[steps.Count];
        for (int s = steps.Count - 1; s >= 0; s--)
        {
            var step = steps[s];
            bool parameter = false;
            var inputs = new SortedSet<int>();
            if (step.Target >= 0)
            {
                var source = instructions[activity.Definer[step.Target]].Op;
                if (source == OpKind.Parameter)
                {
                    parameter = true;
                }
                else if (source == OpKind.Input)
                {
                    inputs.Add(step.Target);
                }
                else
                {
                    parameter = feedsParameter[step.Target];
                    if (feedsInputs[step.Target] is { } fed)
                        inputs.UnionWith(fed);
                }
            }
            else
            {
                // A callee's backward: a sublayer or self call adds into parameter gradients; its returned argument
                // gradients feed what the CallGradient steps after it (already visited) feed.
                var call = instructions[step.Instruction].Call!;
                parameter = call.Kind is CalleeKind.Sublayer or CalleeKind.SublayerElement or CalleeKind.Self or CalleeKind.Region && call.FrozenGradientsType is null;
                for (int later = s + 1; later < steps.Count; later++)
                {
                    if (steps[later].Kernel == BackwardKernel.CallGradient && steps[later].Instruction == step.Instruction)
                    {
                        parameter |= stepParameter[later];
                        inputs.UnionWith(stepInputs[later]);
                    }
                }
            }
            stepParameter[s] = parameter;
            stepInputs[s] = inputs;
            foreach (var read in step.Reads)
            {
                if (!read.IsAdjoint)
                    continue;
                feedsParameter[read.Value] |= parameter;
                (feedsInputs[read.Value] ??= new SortedSet<int>()).UnionWith(inputs);
            }
        }

        var feeds = new int[]?[steps.Count];
        for (int s = 0; s < steps.Count; s++)
            feeds[s] = stepParameter[s] || stepInputs[s].Count == 0 ? null : new List<int>(stepInputs[s]).ToArray();
        return feeds;
    }
}
