using System.Collections.Generic;
using System.Linq;
using LayerGen.Generator.Differentiation;
using LayerGen.Generator.Model;
using LayerGen.Generator.Planning;

namespace LayerGen.Generator.Emit;

// Loops: the training forward runs the user's loop, calling the body's region method once per iteration with a tape of
// its own (a list grown once to the longest run); the backward walks those tapes from the last iteration to the first,
// passing each carried adjoint back to the iteration before and summing what the body read from outside.
internal static partial class Emitter
{
    /// <summary>Every region plan of a method (its loop bodies, nested ones included), in order.</summary>
    public static IEnumerable<ForwardMethodModel> AllRegions(ForwardMethodModel method)
    {
        foreach (var region in method.Regions)
        {
            yield return region;
            foreach (var nested in AllRegions(region))
                yield return nested;
        }
    }

    /// <summary>
    /// <code>
    /// var loopTapes = tape._loopTapes ??= new List&lt;ForwardLoop1Tape&gt;();
    /// int loopStart = 0, loopEnd = xs.Count;
    /// Matrix&lt;float&gt; h2 = h;
    /// for (int t = loopStart; t &lt; loopEnd; t++)
    /// {
    ///     if (t - loopStart == loopTapes.Count) loopTapes.Add(new ForwardLoop1Tape());
    ///     h2 = this.ForwardLoop1(t, xs[t], h2, loopTapes[t - loopStart]);
    /// }
    /// </code>
    /// </summary>
    private static void EmitLoopForward(SourceWriter w, MethodPlan plan, Instruction instruction)
    {
        var facts = instruction.Loop!;
        var loop = plan.Loops[instruction.Result];
        var body = plan.Body;
        string O(int position) => Operand(plan, instruction.Operands[position]);
        w.Line($"var {loop.Tapes} = tape.{loop.TapesField} ??= new global::System.Collections.Generic.List<{loop.TapeType}>();");
        if (facts.While)
            w.Line($"int {loop.Start} = {O(0)}; bool {loop.Again} = {O(1)};");
        else
            w.Line($"int {loop.Start} = {O(0)}, {loop.End} = {O(1)}{(facts.Inclusive ? " + 1" : "")};");
        var carried = new Dictionary<int, string>(); // region parameter → the local carrying it
        for (int k = 0; k < facts.Carried.Count; k++)
        {
            int result = loop.Results[k];
            int position = facts.Inputs[facts.Carried[k]].Operand;
            w.Line($"{body.Values[result].TypeName} {plan.Names[result]} = {O(position)};");
            carried[facts.Carried[k]] = plan.Names[result];
        }
        // Each output list: the tape's, emptied (it keeps its capacity: no allocation once it has held the longest run).
        var lists = new List<string>();
        for (int e = 0; e < facts.Emits.Count; e++)
        {
            string list = plan.Names[loop.Results[facts.Carried.Count + e]];
            lists.Add(list);
            w.Line($"var {list} = tape.{loop.EmitFields[e]} ??= new global::System.Collections.Generic.List<global::LayerGen.Matrix<{plan.Method.Layer.ElementType}>>();");
            w.Line($"{list}.Clear();");
        }
        if (facts.While)
        {
            // The condition decides each next iteration; the body's region returns it after the iteration.
            w.Line($"int {loop.Index} = {loop.Start};");
            w.Line($"for (; {loop.Again}; {loop.Index}++)").Open();
        }
        else
        {
            w.Line($"for (int {loop.Index} = {loop.Start}; {loop.Index} < {loop.End}; {loop.Index}++)").Open();
        }
        w.Line($"if ({loop.Index} - {loop.Start} == {loop.Tapes}.Count)");
        w.Line($"    {loop.Tapes}.Add(new {loop.TapeType}());");
        foreach (var item in loop.EmitItems)
            w.Line($"global::LayerGen.Matrix<{plan.Method.Layer.ElementType}> {item};");
        var arguments = new List<string>();
        for (int p = 0; p < facts.Inputs.Count; p++)
        {
            var input = facts.Inputs[p];
            arguments.Add(input.Kind switch
            {
                LoopInputKind.Index => loop.Index,
                LoopInputKind.Carried => carried[p],
                LoopInputKind.Item => $"{O(input.Operand)}[{loop.Index}]",
                _ => O(input.Operand),
            });
        }
        arguments.Add($"{loop.Tapes}[{loop.Index} - {loop.Start}]");
        string receiver = plan.Method.IsStatic ? "" : "this.";
        var names = facts.Carried.Select(c => carried[c]).Concat(loop.EmitItems).ToList();
        if (facts.While)
            names.Add(loop.Again);
        string targets = names.Count == 1 ? names[0] : "(" + string.Join(", ", names) + ")";
        w.Line($"{targets} = {receiver}{facts.Region}({string.Join(", ", arguments)});");
        for (int e = 0; e < lists.Count; e++)
            w.Line($"{lists[e]}.Add({loop.EmitItems[e]});");
        w.Close();
        w.Line($"tape.{loop.StartField} = {loop.Start};");
        w.Line(facts.While
            ? $"tape.{loop.CountField} = {loop.Index} - {loop.Start};"
            : $"tape.{loop.CountField} = {loop.End} > {loop.Start} ? {loop.End} - {loop.Start} : 0;");
    }

    /// <summary>
    /// The loop's backward: from ∂L/∂ each result, every recorded iteration's backward from the last to the first, each
    /// carried adjoint becoming the previous iteration's ∂L/∂result; the gradients of values the body read from outside
    /// are summed, each element's gradient goes to its place in the returned list.
    /// </summary>
    private static void EmitLoopBackward(SourceWriter w, MethodPlan plan, int stepIndex)
    {
        var step = plan.Backward.Steps[stepIndex];
        var layoutFacts = plan.Layout.Steps[stepIndex];
        var instruction = plan.Body.Instructions[step.Instruction];
        var facts = instruction.Loop!;
        var loop = plan.Loops[instruction.Result];
        var method = plan.Method;
        var region = method.RegionNamed(facts.Region);
        var activity = plan.Backward.Activity;
        var layer = method.Layer;
        string element = layer.ElementType;
        string matrix = $"global::LayerGen.Matrix<{element}>";
        string O(int position) => Operand(plan, instruction.Operands[position]);

        string Need(int position) => NeedFlag(plan, step.Instruction, position);

        w.Line($"var {loop.Tapes} = tape.{loop.TapesField}!;");
        w.Line($"int {loop.Start} = tape.{loop.StartField}, {loop.Count} = tape.{loop.CountField};");
        // The carried adjoints start from ∂L/∂ the results (zero for a result nothing reads).
        for (int k = 0; k < facts.Carried.Count; k++)
        {
            int result = loop.Results[k];
            if (!loop.CarriedAdjoints.TryGetValue(k, out var adjoint))
                continue; // a counter
            bool isMatrix = plan.Body.Values[result].Kind == ValueKind.Matrix;
            string start;
            if (result >= 0 && activity.Active[result])
            {
                start = Use(plan, layoutFacts, result);
            }
            else if (isMatrix)
            {
                string zero = adjoint + "Zero";
                w.Line($"var {zero} = {matrix}.EnsureShape(ref tape.{loop.ZeroResultFields[k]}, {Operand(plan, result)}.Rows, {Operand(plan, result)}.Cols);");
                w.Line($"{zero}.Clear(); // nothing after the loop reads {plan.Names[result]}");
                start = zero;
            }
            else
            {
                start = Zero(layer);
            }
            w.Line($"{(isMatrix ? matrix : element)} {adjoint} = {start};");
        }
        // What the body read from outside: summed over the iterations.
        foreach (var pair in loop.Accumulators)
        {
            int position = pair.Key;
            string local = pair.Value;
            var input = facts.Inputs.First(x => x.Operand == position);
            if (input.Kind == LoopInputKind.Item)
            {
                w.Line($"var {local} = global::LayerGen.SequenceGradients.Prepare(ref tape.{loop.AccumulatorFields[position]}, ref tape.{loop.ZeroItemFields[position]}, {O(position)}, {loop.Start}, {loop.Count});");
            }
            else if (plan.Body.Values[instruction.Operands[position]].Kind == ValueKind.Matrix)
            {
                w.Line($"var {local} = {matrix}.EnsureShape(ref tape.{loop.AccumulatorFields[position]}, {O(position)}.Rows, {O(position)}.Cols);");
                w.Line($"{local}.Clear();");
            }
            else
            {
                w.Line($"{element} {local} = {Zero(layer)};");
            }
        }

        // Each iteration's backward, last first.
        var differentiable = region.Parameters.Select((p, i) => (p, i)).Where(x => x.p.IsDifferentiable).ToList();
        var flags = new List<string>();
        foreach (var (p, i) in differentiable)
            flags.Add(facts.Inputs[i].Kind == LoopInputKind.Carried ? "true" : Need(facts.Inputs[i].Operand));
        // A counter's ∂L/∂ is nothing: its region result takes a default.
        var dOutputs = facts.Carried.Select((_, k) => loop.CarriedAdjoints.TryGetValue(k, out var a) ? a : "default").ToList();
        // Each output list's ∂L/∂item of this iteration: its element of ∂L/∂ the list (zero where nothing differentiates it).
        var zeroItems = new List<string>();
        for (int e = 0; e < facts.Emits.Count; e++)
        {
            int result = loop.Results[facts.Carried.Count + e];
            if (loop.ZeroEmitFields.TryGetValue(e, out var zeroField))
            {
                string zero = loop.Step + "Zero" + MethodPlan.Pascal(facts.Emits[e]);
                string items = $"tape.{loop.EmitFields[e]}![{loop.Step}]";
                zeroItems.Add($"var {zero} = {matrix}.EnsureShape(ref tape.{zeroField}, {items}.Rows, {items}.Cols);");
                zeroItems.Add($"{zero}.Clear();");
                dOutputs.Add(zero);
            }
            else
            {
                // The list is the method's result: Backward's entry check holds dOutput to one matrix per iteration.
                dOutputs.Add($"{Use(plan, layoutFacts, result)}[{loop.Step}]");
            }
        }
        if (facts.While)
            dOutputs.Add("false"); // the region's last result is the condition, which nothing differentiates
        string gradients = method.IsStatic ? "" : ", gradients";
        string tapeArgument = $"{loop.Tapes}[{loop.Step}]";
        string arguments = region.ReturnKind == ValueKind.Scalar
            ? $"{tapeArgument}{gradients}, {dOutputs[0]}"
            : $"{tapeArgument}, {string.Join(", ", dOutputs)}{gradients}";
        string receiver = method.IsStatic ? "" : "this.";
        w.Line($"for (int {loop.Step} = {loop.Count} - 1; {loop.Step} >= 0; {loop.Step}--)").Open();
        foreach (var line in zeroItems)
            w.Line(line);
        w.Line($"var {loop.StepGradients} = {receiver}{Parsing.Symbols.BackwardCoreName(region.Name)}({arguments}{string.Concat(flags.Select(f => ", " + f))});  // one iteration of {facts.Header}, walked back");
        string Piece(MethodParameter p) => (differentiable.Count == 1 ? loop.StepGradients : $"{loop.StepGradients}.d{MethodPlan.Pascal(p.Name)}")
            + (p.Kind == ValueKind.Matrix ? "!" : "");
        for (int d = 0; d < differentiable.Count; d++)
        {
            var (p, i) = differentiable[d];
            var input = facts.Inputs[i];
            if (input.Kind == LoopInputKind.Carried)
            {
                int k = facts.Carried.ToList().IndexOf(i);
                w.Line($"{loop.CarriedAdjoints[k]} = {Piece(p)};  // ∂L/∂{p.Name} before this iteration: ∂L/∂ its result in the one before");
                continue;
            }
            if (!loop.Accumulators.TryGetValue(input.Operand, out var local))
                continue;
            string flag = flags[d];
            string guard = flag == "true" ? "" : $"if ({flag}) ";
            if (input.Kind == LoopInputKind.Item)
                w.Line($"{guard}{local}[{loop.Start} + {loop.Step}] = {Piece(p)};  // ∂L/∂{O(input.Operand)}[{facts.Index}]");
            else if (p.Kind == ValueKind.Matrix)
                w.Line($"{guard}{Ops}.SumToShape({Piece(p)}, {local}, accumulate: true);  // ∂L/∂{p.Name} summed over the iterations");
            else
                w.Line($"{guard}{local} += {Piece(p)};  // ∂L/∂{p.Name} summed over the iterations");
        }
        w.Close();

        // What the loop's CallGradient steps take apart: the gradient of each differentiable outer operand.
        var call = instruction.Call!;
        var pieces = new List<(MethodParameter Parameter, string Value)>();
        for (int position = 0; position < call.Parameters.Count; position++)
        {
            var parameter = call.Parameters[position];
            if (!parameter.IsDifferentiable)
                continue;
            var input = facts.Inputs.First(x => x.Operand == position);
            string value;
            if (input.Kind == LoopInputKind.Carried)
                value = loop.CarriedAdjoints[facts.Carried.ToList().IndexOf(facts.Inputs.ToList().IndexOf(input))];
            else if (loop.Accumulators.TryGetValue(position, out var local))
                value = local;
            else
                value = parameter.Kind switch
                {
                    ValueKind.Matrix => $"({matrix}?)null",
                    ValueKind.Sequence => $"(global::System.Collections.Generic.IReadOnlyList<{matrix}>?)null",
                    _ => Zero(layer),
                };
            pieces.Add((parameter, value));
        }
        if (layoutFacts.CallResultLocal is null || pieces.Count == 0)
            return;
        string tuple = pieces.Count == 1 ? pieces[0].Value
            : "(" + string.Join(", ", pieces.Select(x => $"d{MethodPlan.Pascal(x.Parameter.Name)}: {x.Value}")) + ")";
        StoreCallGradients(w, layoutFacts, tuple, "  // the gradients of what the loop read from outside");
    }
}
