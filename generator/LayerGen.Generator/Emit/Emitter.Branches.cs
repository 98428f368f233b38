using System.Collections.Generic;
using System.Linq;
using LayerGen.Generator.Model;
using LayerGen.Generator.Planning;

namespace LayerGen.Generator.Emit;

// Branches: the training forward evaluates the condition once, records it on the tape and calls the arm it picks (each
// arm a region method with a tape of its own); the backward calls the backward of the arm the forward took. Both arms
// take the same arguments and return the same results, so either call fits the same line.
internal static partial class Emitter
{
    /// <summary>
    /// <code>
    /// bool forwardIf1Taken = tape._forwardIf1Taken = training;
    /// var chosen = forwardIf1Taken
    ///     ? this.ForwardIf1Then(h, tape._forwardIf1ThenTape ??= new ForwardIf1ThenTape())
    ///     : this.ForwardIf1Else(h, tape._forwardIf1ElseTape ??= new ForwardIf1ElseTape());
    /// </code>
    /// </summary>
    private static void EmitBranchForward(SourceWriter w, MethodPlan plan, Instruction instruction)
    {
        var facts = instruction.Branch!;
        var branch = plan.Branches[instruction.Result];
        var body = plan.Body;
        string O(int position) => Operand(plan, instruction.Operands[position]);
        w.Line($"bool {branch.Taken} = tape.{branch.TakenField} = {O(0)};");
        string arguments = string.Concat(facts.Inputs.Select(input => O(input.Operand) + ", "));
        string receiver = plan.Method.IsStatic ? "" : "this.";
        var results = branch.Results;
        string targets = results.Length == 1
            ? $"{body.Values[results[0]].TypeName} {plan.Names[results[0]]}"
            : "var (" + string.Join(", ", results.Select(r => plan.Names[r])) + ")";
        w.Line($"{targets} = {branch.Taken}");
        w.Line($"    ? {receiver}{facts.Then}({arguments}tape.{branch.ThenTapeField} ??= new {branch.ThenTapeType}())");
        w.Line($"    : {receiver}{facts.Else}({arguments}tape.{branch.ElseTapeField} ??= new {branch.ElseTapeType}());");
    }

    /// <summary>
    /// The branch's backward: the backward of the arm the forward took, from ∂L/∂ each result (zero for one nothing
    /// reads); what it returns are the gradients of the outer values the arms read, which the CallGradient steps take apart.
    /// </summary>
    private static void EmitBranchBackward(SourceWriter w, MethodPlan plan, int stepIndex)
    {
        var step = plan.Backward.Steps[stepIndex];
        var layoutFacts = plan.Layout.Steps[stepIndex];
        var instruction = plan.Body.Instructions[step.Instruction];
        var facts = instruction.Branch!;
        var branch = plan.Branches[instruction.Result];
        var method = plan.Method;
        var layer = method.Layer;
        var activity = plan.Backward.Activity;
        string matrix = $"global::LayerGen.Matrix<{layer.ElementType}>";
        var arm = method.RegionNamed(facts.Then);

        var dOutputs = new List<string>();
        for (int k = 0; k < branch.Results.Length; k++)
        {
            int result = branch.Results[k];
            if (result >= 0 && activity.Active[result])
            {
                dOutputs.Add(Use(plan, layoutFacts, result));
            }
            else if (branch.ZeroResultFields.TryGetValue(k, out var field))
            {
                string zero = plan.Names[result] + "Zero";
                w.Line($"var {zero} = {matrix}.EnsureShape(ref tape.{field}, {Operand(plan, result)}.Rows, {Operand(plan, result)}.Cols);");
                w.Line($"{zero}.Clear(); // nothing after {facts.Header} reads {plan.Names[result]}");
                dOutputs.Add(zero);
            }
            else
            {
                // A scalar nothing reads: zero; a counter: nothing differentiates it.
                dOutputs.Add(result >= 0 && plan.Body.Values[result].Kind == ValueKind.Other ? "default" : Zero(layer));
            }
        }
        var flags = new List<string>();
        for (int p = 0; p < arm.Parameters.Count; p++)
        {
            if (arm.Parameters[p].IsDifferentiable)
                flags.Add(NeedFlag(plan, step.Instruction, facts.Inputs[p].Operand));
        }
        string gradients = method.IsStatic ? "" : ", gradients";
        string Call(string region, string tapeField)
        {
            string tape = $"tape.{tapeField}!";
            string arguments = arm.ReturnKind == ValueKind.Scalar
                ? $"{tape}{gradients}, {dOutputs[0]}"
                : $"{tape}, {string.Join(", ", dOutputs)}{gradients}";
            string receiver = method.IsStatic ? "" : "this.";
            // An arm with no differentiable input (only parameters get gradients) has no core: its backward takes no flags.
            string backward = flags.Count == 0 ? Parsing.Symbols.BackwardName(region) : Parsing.Symbols.BackwardCoreName(region);
            return $"{receiver}{backward}({arguments}{string.Concat(flags.Select(f => ", " + f))})";
        }
        string thenCall = Call(facts.Then, branch.ThenTapeField);
        string elseCall = Call(facts.Else, branch.ElseTapeField);
        if (layoutFacts.CallResultLocal is null || flags.Count == 0)
        {
            w.Line($"if (tape.{branch.TakenField})  // the arm {facts.Header} took, walked back");
            w.Line($"    {thenCall};");
            w.Line("else");
            w.Line($"    {elseCall};");
            return;
        }
        w.Line($"// the arm {facts.Header} took, walked back");
        w.Line($"{(layoutFacts.DeclaresCallResult ? "var " : "")}{layoutFacts.CallResultLocal} = tape.{branch.TakenField}");
        w.Line($"    ? {thenCall}");
        w.Line($"    : {elseCall};");
    }
}
