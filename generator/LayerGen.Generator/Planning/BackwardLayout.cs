using System.Collections.Generic;
using System.Linq;
using LayerGen.Generator.Differentiation;
using LayerGen.Generator.Model;

namespace LayerGen.Generator.Planning;

/// <summary>What a declaration ahead of a guarded block declares.</summary>
internal enum HoistKind
{
    /// <summary>A call's returned gradients when the callee returns one nullable matrix (<c>Matrix&lt;T&gt;? g = null;</c>).</summary>
    CallNullable,

    /// <summary>A call's returned gradients, defaulted (<c>(…) g = default;</c>).</summary>
    CallDefault,

    /// <summary>A scalar adjoint, zero until a guarded block writes it.</summary>
    ScalarZero,

    /// <summary>A matrix adjoint, null unless a guarded block assigns it (later blocks read it as <c>dX!</c>).</summary>
    NullableMatrix,
}

/// <summary>A declaration written before a guarded block because a step inside it writes a value read after it.</summary>
/// <param name="Kind">What is declared.</param>
/// <param name="Value">The value (its adjoint) or, for a call, the call's result value.</param>
/// <param name="Name">The local's name.</param>
internal sealed record HoistedDeclaration(HoistKind Kind, int Value, string Name);

/// <summary>How a scalar adjoint's step writes it.</summary>
internal enum ScalarWrite
{
    /// <summary><c>T dS = …;</c> (first write).</summary>
    Declare,

    /// <summary><c>dS = …;</c> (declared ahead of a guarded block).</summary>
    Assign,

    /// <summary><c>dS += …;</c>.</summary>
    Accumulate,
}

/// <summary>The declaration facts of one backward step: what the emitter writes as <c>var</c>, <c>=</c> or <c>+=</c>.</summary>
internal sealed class StepLayout
{
    /// <summary>Declarations written before this step's guard is opened (only on a guarded block's first step).</summary>
    public List<HoistedDeclaration> Hoists { get; } = new();

    /// <summary>A matrix target's first write declares it (<c>var dZ = …</c>); otherwise it assigns.</summary>
    public bool DeclaresTarget { get; set; }

    /// <summary>For a matrix target with a tape buffer of its own: the step first takes the buffer (<c>EnsureShape</c>).</summary>
    public bool TakesBuffer { get; set; }

    /// <summary>For a scalar target: how it is written.</summary>
    public ScalarWrite ScalarWrite { get; set; }

    /// <summary>For a call's backward: the local holding its returned gradients, and whether this step declares it.</summary>
    public string? CallResultLocal { get; set; }

    /// <summary>See <see cref="CallResultLocal"/>.</summary>
    public bool DeclaresCallResult { get; set; }

    /// <summary>
    /// Adjoints read as <c>dX!</c> in this step: nullable ones declared ahead of a guarded block and not assigned in the
    /// current block (a block that reads one runs only where the block that writes it ran: its flags are a subset).
    /// </summary>
    public HashSet<int> ReadsNullable { get; } = new();

    /// <summary>
    /// For a <see cref="BackwardKernel.RegisteredInto"/> step of an op whose backward writes several gradients: the steps
    /// (this one first) whose destinations this step's one backward call writes, a null destination for each gradient
    /// not among them; empty for a step whose destination an earlier step's call writes. Null for a single-gradient op.
    /// </summary>
    public List<int>? FusedSteps { get; set; }
}

/// <summary>
/// Where each adjoint and call result of the backward is declared: a pass over the steps in order that decides, for
/// every write, whether it declares, assigns or adds, and which locals are declared ahead of a guarded block (read
/// after it, or returned). The emitter only prints these decisions.
/// </summary>
internal sealed class BackwardLayout
{
    private BackwardLayout(int steps)
    {
        Steps = new StepLayout[steps];
        for (int s = 0; s < steps; s++)
            Steps[s] = new StepLayout();
    }

    /// <summary>Per step of <see cref="BackwardProgram.Steps"/>.</summary>
    public StepLayout[] Steps { get; }

    /// <summary>Per call instruction's result value: the local holding its callee's returned gradients.</summary>
    public Dictionary<int, string> CallResults { get; } = new();

    /// <summary>Values whose adjoint local exists at the end of the backward (the input gradients returned by name).</summary>
    public HashSet<int> Declared { get; } = new();

    /// <summary>Lays out the plan's backward program.</summary>
    public static BackwardLayout Create(MethodPlan plan)
    {
        var steps = plan.Backward.Steps;
        var layout = new BackwardLayout(steps.Count);
        var hoisted = new HashSet<int>();
        var hoistedCalls = new HashSet<int>();
        var nullable = new HashSet<int>();
        var assignedInBlock = new HashSet<int>();
        string? openGuard = null;

        for (int s = 0; s < steps.Count; s++)
        {
            var step = steps[s];
            var facts = layout.Steps[s];
            string? guard = plan.Guard(s);
            if (guard != openGuard)
            {
                openGuard = guard;
                assignedInBlock.Clear();
                if (guard is not null)
                {
                    // Adjoints first written under a flag are declared before it (read later, or returned).
                    for (int t = s; t < steps.Count && plan.Guard(t) == guard; t++)
                        layout.Hoist(plan, steps[t], facts, hoisted, hoistedCalls, nullable);
                }
            }

            var instruction = plan.Body.Instructions[step.Instruction];
            if (step.Kernel == BackwardKernel.CallBackward)
            {
                if (instruction.Call!.IsRegisteredOp || instruction.Call.Parameters.Any(p => p.IsDifferentiable))
                    layout.StoreCallResult(plan, instruction, facts, hoistedCalls);
            }
            else if (step.Target >= 0)
            {
                int target = step.Target;
                if (plan.Body.Values[target].Kind == ValueKind.Scalar)
                {
                    facts.ScalarWrite = hoisted.Remove(target) ? ScalarWrite.Assign
                        : layout.Declared.Add(target) ? ScalarWrite.Declare
                        : ScalarWrite.Accumulate;
                }
                else
                {
                    // The first write of an adjoint declares it, unless it was declared ahead of a guarded block.
                    bool writes = step.Alias || step.PassThrough || (step.PassThroughIfSameShape && plan.AdjointField[target] is not null);
                    if (!writes && plan.AdjointField[target] is not null && (hoisted.Contains(target) || !layout.Declared.Contains(target)))
                    {
                        writes = true;
                        facts.TakesBuffer = true;
                    }
                    if (writes)
                    {
                        assignedInBlock.Add(target);
                        if (!hoisted.Remove(target))
                        {
                            layout.Declared.Add(target);
                            facts.DeclaresTarget = true;
                        }
                    }
                }
            }
            foreach (int v in nullable)
            {
                if (!assignedInBlock.Contains(v))
                    facts.ReadsNullable.Add(v);
            }
        }
        layout.FuseRegisteredBackwards(plan);
        return layout;
    }

    /// <summary>
    /// One call of a multi-gradient destination backward (Conv2dBackward's ∂x, ∂weight, ∂bias) for the consecutive steps of
    /// one op call that run under the same guard and write distinct adjoints; a step under another guard (∂x under
    /// <c>needDX</c>) gets its own call, with null for the gradients it does not write.
    /// </summary>
    private void FuseRegisteredBackwards(MethodPlan plan)
    {
        var steps = plan.Backward.Steps;
        for (int s = 0; s < steps.Count; s++)
        {
            var step = steps[s];
            if (step.Kernel != BackwardKernel.RegisteredInto
                || plan.Body.Instructions[step.Instruction].Call!.Parameters.Count(p => p.IsDifferentiable) < 2)
                continue;
            var group = new List<int> { s };
            var targets = new HashSet<int> { step.Target };
            while (s + 1 < steps.Count && steps[s + 1].Kernel == BackwardKernel.RegisteredInto && steps[s + 1].Instruction == step.Instruction
                   && plan.Guard(s + 1) == plan.Guard(group[0]) && targets.Add(steps[s + 1].Target))
            {
                s++;
                group.Add(s);
                Steps[s].FusedSteps = new List<int>();
            }
            Steps[group[0]].FusedSteps = group;
        }
    }

    /// <summary>Declares, before a guarded block, the adjoint (or call result) a step of it would declare.</summary>
    private void Hoist(MethodPlan plan, AdjointStep step, StepLayout facts, HashSet<int> hoisted, HashSet<int> hoistedCalls, HashSet<int> nullable)
    {
        var instruction = plan.Body.Instructions[step.Instruction];
        if (step.Kernel == BackwardKernel.CallBackward)
        {
            var call = instruction.Call!;
            var differentiable = call.Parameters.Where(p => p.IsDifferentiable).ToList();
            if (differentiable.Count == 0 || CallResults.ContainsKey(instruction.Result))
                return;
            string local = Unique(plan, plan.Names[instruction.Result] + "Gradients");
            CallResults[instruction.Result] = local;
            hoistedCalls.Add(instruction.Result);
            bool single = call.IsRegisteredOp && differentiable.Count == 1 && differentiable[0].Kind == ValueKind.Matrix;
            facts.Hoists.Add(new HoistedDeclaration(single ? HoistKind.CallNullable : HoistKind.CallDefault, instruction.Result, local));
            return;
        }
        int target = step.Target;
        if (target < 0 || Declared.Contains(target) || plan.Storage[target] == Storage.LayerParameter)
            return;
        if (plan.Body.Values[target].Kind == ValueKind.Scalar)
        {
            facts.Hoists.Add(new HoistedDeclaration(HoistKind.ScalarZero, target, plan.AdjointNames[target]));
        }
        else if (step.Alias || step.PassThrough || plan.AdjointField[target] is not null)
        {
            facts.Hoists.Add(new HoistedDeclaration(HoistKind.NullableMatrix, target, plan.AdjointNames[target]));
            nullable.Add(target);
        }
        else
        {
            return;
        }
        Declared.Add(target);
        hoisted.Add(target);
    }

    /// <summary><c>var hGradients = …</c>, or an assignment to the local declared ahead of the guarded block.</summary>
    private void StoreCallResult(MethodPlan plan, Instruction instruction, StepLayout facts, HashSet<int> hoistedCalls)
    {
        if (hoistedCalls.Remove(instruction.Result))
        {
            facts.CallResultLocal = CallResults[instruction.Result];
            return;
        }
        string local = Unique(plan, plan.Names[instruction.Result] + "Gradients");
        CallResults[instruction.Result] = local;
        facts.CallResultLocal = local;
        facts.DeclaresCallResult = true;
    }

    /// <summary>A name not taken by a value, an adjoint, another call result, a reserved name or a parameter.</summary>
    private string Unique(MethodPlan plan, string hint)
    {
        var used = new HashSet<string>(plan.Names.Where(n => n is not null));
        used.UnionWith(plan.AdjointNames.Where(n => n is not null));
        used.UnionWith(CallResults.Values);
        used.UnionWith(plan.Body.ReservedNames);
        used.UnionWith(plan.Method.Parameters.Select(p => p.Name));
        if (!used.Contains(hint))
            return hint;
        for (int k = 2; ; k++)
        {
            if (!used.Contains(hint + k))
                return hint + k;
        }
    }
}
