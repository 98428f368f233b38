using System.Collections.Generic;
using System.Linq;
using LayerGen.Generator.Differentiation;
using LayerGen.Generator.Model;
using LayerGen.Generator.Shapes;

namespace LayerGen.Generator.Planning;

/// <summary>Where a forward value lives while the forward and backward passes run.</summary>
internal enum Storage
{
    /// <summary>A parameter of the forward method (saved by reference on the tape if Backward reads it).</summary>
    Input,
    /// <summary>A trainable parameter of the layer, read as <c>this.W</c> in both passes.</summary>
    LayerParameter,
    /// <summary>A literal, re-emitted wherever it is used.</summary>
    Literal,
    /// <summary>A local of the training forward (scalars, constants); saved on the tape if Backward reads it.</summary>
    Local,
    /// <summary>A matrix in a reusable tape buffer (every intermediate matrix the forward computes).</summary>
    Buffer,
    /// <summary>A matrix owned by a callee's tape (a sublayer's result); saved by reference if Backward reads it.</summary>
    Borrowed,
}

/// <summary>A field of the generated tape class.</summary>
/// <param name="Name">Field name (<c>_z</c>).</param>
/// <param name="Type">C# type (nullable for references).</param>
/// <param name="Purpose">Comment: what the field holds.</param>
internal sealed record TapeField(string Name, string Type, string Purpose);

/// <summary>
/// The storage plan of one forward method: names, which forward values the tape saves (exactly those Backward
/// reads), the reusable forward and adjoint buffers, and a tape per call site. A pure function of the model.
/// </summary>
internal sealed class MethodPlan
{
    private MethodPlan(ForwardMethodModel method, ForwardBody body, BackwardProgram backward, ShapeResult shapes)
    {
        Method = method;
        Body = body;
        Backward = backward;
        _shapes = shapes;
        int n = body.Values.Count;
        RowsFrom = new int[n];
        ColsFrom = new int[n];
        Names = new string[n];
        AdjointNames = new string[n];
        Storage = new Storage[n];
        SavedField = new string?[n];
        BufferField = new string?[n];
        AdjointField = new string?[n];
        CallTapeField = new string?[n];
        FrozenGradientsField = new string?[n];
        ProbabilitiesField = new string?[n];
        ReadByBackward = new bool[n];
    }

    /// <summary>The method.</summary>
    public ForwardMethodModel Method { get; }

    /// <summary>Its IR.</summary>
    public ForwardBody Body { get; }

    /// <summary>Its backward program.</summary>
    public BackwardProgram Backward { get; }

    /// <summary>C# name of each value in the generated code.</summary>
    public string[] Names { get; }

    /// <summary>Name of each value's adjoint (<c>dZ</c>; <c>dW</c> for a parameter, whose adjoint is <c>gradients.W</c>).</summary>
    public string[] AdjointNames { get; }

    /// <summary>Where each value lives.</summary>
    public Storage[] Storage { get; }

    /// <summary>Tape field saving a value Backward reads (inputs, locals, borrowed matrices).</summary>
    public string?[] SavedField { get; }

    /// <summary>Tape buffer of an intermediate matrix.</summary>
    public string?[] BufferField { get; }

    /// <summary>Tape buffer of a matrix adjoint.</summary>
    public string?[] AdjointField { get; }

    /// <summary>Tape of the callee, per call site.</summary>
    public string?[] CallTapeField { get; }

    /// <summary>
    /// A frozen sublayer's scratch gradients, per call site: its backward needs somewhere to add its parameter
    /// gradients, which nobody reads; the tape creates them once, so a step after the first allocates nothing (they are
    /// never cleared, since never read).
    /// </summary>
    public string?[] FrozenGradientsField { get; }

    /// <summary>The softmax probabilities a cross-entropy saves for its backward.</summary>
    public string?[] ProbabilitiesField { get; }

    /// <summary>Backward reads the forward value (rules, or the shape of its adjoint buffer).</summary>
    public bool[] ReadByBackward { get; }

    /// <summary>
    /// A broadcasting op's result buffer (<c>a + b</c>, <c>a ⊙ b</c>): the operand (by position) whose rows are proven to
    /// be the result's, so the buffer is sized <c>a.Rows</c>; −1 when not proven (sized <c>Math.Max(a.Rows, b.Rows)</c>,
    /// which the op's run-time check makes exact either way).
    /// </summary>
    public int[] RowsFrom { get; }

    /// <summary>See <see cref="RowsFrom"/>, for the columns.</summary>
    public int[] ColsFrom { get; }

    private readonly ShapeResult _shapes;

    /// <summary>Where each adjoint and call result of the backward is declared, assigned or added to.</summary>
    public BackwardLayout Layout => _layout ?? throw new System.InvalidOperationException("the plan is not built");

    private BackwardLayout? _layout;

    /// <summary>
    /// Per differentiable input (by value id): the name of the <c>BackwardCore</c> flag saying the caller needs its
    /// gradient (<c>needDX</c>).
    /// </summary>
    public Dictionary<int, string> NeedFlags { get; } = new();

    /// <summary>
    /// The condition under which step <paramref name="step"/> (an index into <see cref="BackwardProgram.Steps"/>) runs:
    /// null when it always runs (it feeds a trainable parameter), else the disjunction of the need flags of the inputs
    /// it feeds (<c>needDX || needDY</c>).
    /// </summary>
    public string? Guard(int step)
    {
        _guards ??= new string?[Backward.Steps.Count];
        _guardsDone ??= new bool[Backward.Steps.Count];
        if (!_guardsDone[step])
        {
            _guardsDone[step] = true;
            _guards[step] = Backward.Feeds[step] is { } inputs && inputs.All(NeedFlags.ContainsKey)
                ? string.Join(" || ", inputs.Select(v => NeedFlags[v]))
                : null;
        }
        return _guards[step];
    }

    private string?[]? _guards;
    private bool[]? _guardsDone;

    /// <summary>All tape fields, in declaration order.</summary>
    public List<TapeField> TapeFields { get; } = new();

    /// <summary>Plans a method from its backward program (a pure function of the two).</summary>
    public static MethodPlan Create(ForwardMethodModel method, ForwardBody body, BackwardProgram backward, ShapeResult shapes)
    {
        var plan = new MethodPlan(method, body, backward, shapes);
        plan.Build();
        return plan;
    }

    private void Build()
    {
        // Broadcast buffers sized from the operand the shapes prove carries the result's dimension (no Math.Max).
        foreach (var instruction in Body.Instructions)
        {
            int v = instruction.Result;
            RowsFrom[v] = ColsFrom[v] = -1;
            if (instruction.Op is not (OpKind.Add or OpKind.Sub or OpKind.Mul or OpKind.Div or OpKind.Maximum or OpKind.Minimum) || _shapes.ShapeOf(v) is not { } result)
                continue;
            for (int i = instruction.Operands.Count - 1; i >= 0; i--)
            {
                if (_shapes.ShapeOf(instruction.Operands[i]) is not { } operand)
                    continue;
                if (Dim.DefinitelyEqual(operand.Rows, result.Rows))
                    RowsFrom[v] = i;
                if (Dim.DefinitelyEqual(operand.Cols, result.Cols))
                    ColsFrom[v] = i;
            }
        }

        // Per value, from one pass over the steps: written by a step that needs a buffer of its own / written at all.
        _ownsBuffer = new bool[Body.Values.Count];
        _targeted = new bool[Body.Values.Count];
        foreach (var step in Backward.Steps)
        {
            if (step.Target < 0)
                continue;
            _targeted[step.Target] = true;
            _ownsBuffer[step.Target] |= !step.Alias && !step.PassThrough;
        }
        _differentiableInputs = new HashSet<string>(Method.Parameters.Where(p => p.IsDifferentiable).Select(p => p.Name), System.StringComparer.Ordinal);

        var activity = Backward.Activity;
        var instructions = Body.Instructions;
        string matrix = $"global::LayerGen.Matrix<{Method.Layer.ElementType}>";

        // Names: the user's where there is one, unique in the method, never shadowing what constants mention.
        var used = new HashSet<string>(System.StringComparer.Ordinal) { "tape", "gradients", "dOutput", "global", "this", "value" };
        foreach (var parameter in Method.Parameters)
            used.Add(parameter.Name);
        foreach (var element in Method.ReturnElements)
            used.Add("dOutput" + Pascal(element.Name));
        foreach (var reserved in Body.ReservedNames)
            used.Add(reserved);
        string Unique(string hint)
        {
            hint = Identifier(hint);
            if (string.IsNullOrEmpty(hint) || Keywords.Contains(hint))
                hint = "v" + hint;
            if (used.Add(hint))
                return hint;
            for (int k = 2; ; k++)
            {
                if (used.Add(hint + k))
                    return hint + k;
            }
        }

        var readable = new ReadableNames(Body);
        foreach (var instruction in instructions)
        {
            int v = instruction.Result;
            var value = Body.Values[v];
            switch (instruction.Op)
            {
                case OpKind.Input:
                    Names[v] = instruction.Text!;
                    Storage[v] = Planning.Storage.Input;
                    break;
                case OpKind.Parameter:
                    Names[v] = (Method.IsStatic ? "" : "this.") + instruction.Text;
                    Storage[v] = Planning.Storage.LayerParameter;
                    break;
                case OpKind.Constant when instruction.IsLiteral:
                    Names[v] = instruction.Text!;
                    Storage[v] = Planning.Storage.Literal;
                    break;
                // A carried matrix after a loop is the last iteration's result, owned by that iteration's tape.
                case OpKind.LoopResult:
                    Names[v] = Unique(value.Name);
                    Storage[v] = value.Kind == ValueKind.Matrix ? Planning.Storage.Borrowed : Planning.Storage.Local;
                    break;
                case OpKind.ForwardCall when value.Kind == ValueKind.Matrix && instruction.Call!.Registered is not { ForwardInto: true }:
                    Names[v] = Unique(value.Name);
                    Storage[v] = Planning.Storage.Borrowed;
                    break;
                default:
                    Names[v] = Unique(readable.Of(instruction));
                    Storage[v] = value.Kind == ValueKind.Matrix && instruction.Op != OpKind.Constant ? Planning.Storage.Buffer : Planning.Storage.Local;
                    break;
            }
        }

        // Adjoint names: d + PascalCase(name); the result's adjoint is the dOutput argument itself.
        for (int v = 0; v < Body.Values.Count; v++)
        {
            if (!activity.Active[v] && !IsDifferentiableInput(v))
                continue;
            string baseName = instructions[activity.Definer[v]] is { Op: OpKind.Parameter or OpKind.Input } source ? source.Text! : Names[v];
            AdjointNames[v] = v == Body.Result && Body.Results.Count == 0 && instructions[activity.Definer[v]].Op is not (OpKind.Input or OpKind.Parameter)
                ? "dOutput"
                : Storage[v] == Planning.Storage.LayerParameter ? "d" + Pascal(baseName) : Unique("d" + Pascal(baseName));
        }

        // One "needed" flag per differentiable input, for BackwardCore.
        for (int v = 0; v < Body.Values.Count; v++)
        {
            if (AdjointNames[v] is { } adjoint && IsDifferentiableInput(v))
                NeedFlags[v] = Unique("need" + Pascal(adjoint));
        }

        // What Backward reads: every forward value a rule reads, plus the values whose shape sizes an adjoint buffer.
        foreach (var step in Backward.Steps)
        {
            for (int r = 0; r < step.Reads.Length; r++)
            {
                // Cross-entropy's backward reads the probabilities the forward saved, not the loss value.
                if (step.Kernel == BackwardKernel.SoftmaxCrossEntropyBackward && r == 0)
                    continue;
                if (!step.Reads[r].IsAdjoint)
                    ReadByBackward[step.Reads[r].Value] = true;
            }
            if (step.Kernel == BackwardKernel.ConcatSlice)
                ReadByBackward[step.Reads[1].Value] = true;
        }
        foreach (var step in Backward.Steps)
        {
            if (step.Target >= 0 && NeedsAdjointBuffer(step.Target))
                ReadByBackward[step.Target] = true;
        }
        // A loop's backward sizes its accumulators from the outer values, its zero dOutputs from the unused results and
        // the zero gradients of unvisited elements from the sequence; a branch's passes a zero ∂L/∂result likewise.
        for (int i = 0; i < instructions.Count; i++)
        {
            var loop = instructions[i];
            if (loop.Op is not (OpKind.Loop or OpKind.Branch) || !activity.Active[loop.Result])
                continue;
            if (loop.Op == OpKind.Loop)
            {
                foreach (var step in Backward.Steps)
                {
                    if (step.Kernel == BackwardKernel.CallGradient && step.Instruction == i
                        && Body.Values[loop.Operands[step.Position]].Kind is ValueKind.Matrix or ValueKind.Sequence)
                        ReadByBackward[loop.Operands[step.Position]] = true;
                }
            }
            foreach (int result in Differentiator.LoopResults(Body, i))
            {
                if (result >= 0 && !activity.Active[result] && Body.Values[result].Kind == ValueKind.Matrix)
                    ReadByBackward[result] = true;
            }
        }
        for (int v = 0; v < Body.Values.Count; v++)
        {
            // A differentiable input the result does not depend on still gets a (zero) gradient of its shape.
            if (IsDifferentiableInput(v) && !activity.Active[v] && Body.Values[v].Kind == ValueKind.Matrix)
                ReadByBackward[v] = true;
        }

        // Tape fields, in forward order: call tapes, buffers, saved values; then adjoint buffers.
        var fieldNames = new HashSet<string>(System.StringComparer.Ordinal) { "_recorded", "_layer", "_resultRows", "_resultCols" };
        string Field(string baseName)
        {
            string name = "_" + baseName.Replace("this.", "");
            if (fieldNames.Add(name))
                return name;
            for (int k = 2; ; k++)
            {
                if (fieldNames.Add(name + k))
                    return name + k;
            }
        }

        foreach (var instruction in instructions)
        {
            int v = instruction.Result;
            if (!activity.Live[v] && !ReadByBackward[v])
                continue;
            var value = Body.Values[v];
            string role = ReadByBackward[v] ? "saved for Backward" : "forward work buffer";
            if (instruction.Op == OpKind.ForwardCall && !instruction.Call!.IsRegisteredOp)
            {
                CallTapeField[v] = Field(Names[v] + "Tape");
                TapeFields.Add(new TapeField(CallTapeField[v]!, instruction.Call!.TapeType + "?", $"the tape of {instruction.Source}"));
                if (instruction.Call.FrozenGradientsType is { } frozen && activity.Active[v])
                {
                    FrozenGradientsField[v] = Field(Names[v] + "FrozenGradients");
                    TapeFields.Add(new TapeField(FrozenGradientsField[v]!, frozen + "?",
                        $"scratch for the parameter gradients of the frozen [NoGrad] {instruction.Call.Receiver}: written by its backward, never read"));
                }
            }
            switch (Storage[v])
            {
                case Planning.Storage.Buffer:
                    BufferField[v] = Field(Names[v]);
                    TapeFields.Add(new TapeField(BufferField[v]!, matrix + "?", $"{Names[v]} = {instruction.Source}: {role}"));
                    break;
                case Planning.Storage.Input or Planning.Storage.Local or Planning.Storage.Borrowed when ReadByBackward[v]:
                    SavedField[v] = Field(Names[v]);
                    bool reference = value.Kind != ValueKind.Scalar && !IsValueType(value);
                    TapeFields.Add(new TapeField(SavedField[v]!, value.TypeName + (reference ? "?" : ""), $"{Names[v]}: saved for Backward"));
                    break;
            }
            if (instruction.Op == OpKind.Loop)
                Loops[v] = PlanLoop(instruction, Field, Unique);
            if (instruction.Op == OpKind.Branch)
                Branches[v] = PlanBranch(instruction, Field, Unique);
            if (instruction.Op == OpKind.SoftmaxCrossEntropy)
            {
                ProbabilitiesField[v] = Field(Names[v] + "Probabilities");
                TapeFields.Add(new TapeField(ProbabilitiesField[v]!, matrix + "?",
                    $"softmax of the logits: saved for the (P − onehot)/N backward"));
            }
        }

        for (int v = 0; v < Body.Values.Count; v++)
        {
            if ((activity.Active[v] || IsDifferentiableInput(v)) && NeedsAdjointBuffer(v))
            {
                AdjointField[v] = Field(AdjointNames[v]);
                TapeFields.Add(new TapeField(AdjointField[v]!, matrix + "?", $"∂L/∂{Names[v].Replace("this.", "")}: adjoint work buffer"));
            }
        }

        // Last: where each adjoint and call result is declared (needs the names, buffers and need flags above).
        _layout = BackwardLayout.Create(this);
    }

    /// <summary>Per branch instruction (by its handle value): the tape fields of its forward and backward.</summary>
    public Dictionary<int, BranchPlan> Branches { get; } = new();

    private BranchPlan PlanBranch(Instruction instruction, System.Func<string, string> field, System.Func<string, string> unique)
    {
        var facts = instruction.Branch!;
        string matrix = $"global::LayerGen.Matrix<{Method.Layer.ElementType}>";
        string baseName = Names[instruction.Result];
        int index = Backward.Activity.Definer[instruction.Result];
        var plan = new BranchPlan(
            TakenField: field(baseName + "Taken"),
            ThenTapeField: field(baseName + "ThenTape"),
            ElseTapeField: field(baseName + "ElseTape"),
            ThenTapeType: Method.Layer.FullName + "." + Parsing.Symbols.TapeName(facts.Then),
            ElseTapeType: Method.Layer.FullName + "." + Parsing.Symbols.TapeName(facts.Else),
            Taken: unique(baseName + "Taken"),
            Results: Differentiator.LoopResults(Body, index));
        TapeFields.Add(new TapeField(plan.TakenField, "bool", $"whether {facts.Header} took its then arm in the recorded run"));
        TapeFields.Add(new TapeField(plan.ThenTapeField, plan.ThenTapeType + "?", $"the tape of {facts.Header}'s then arm"));
        TapeFields.Add(new TapeField(plan.ElseTapeField, plan.ElseTapeType + "?", $"the tape of {facts.Header}'s else arm"));
        if (!Backward.Activity.Active[instruction.Result])
            return plan;
        for (int k = 0; k < plan.Results.Length; k++)
        {
            int result = plan.Results[k];
            if (result >= 0 && !Backward.Activity.Active[result] && Body.Values[result].Kind == ValueKind.Matrix)
            {
                plan.ZeroResultFields[k] = field(Names[result] + "Zero");
                TapeFields.Add(new TapeField(plan.ZeroResultFields[k], matrix + "?", $"∂L/∂{Names[result]} after {facts.Header}, which nothing reads: zero"));
            }
        }
        return plan;
    }

    /// <summary>Per loop instruction (by its handle value): the locals and tape fields of its forward and backward.</summary>
    public Dictionary<int, LoopPlan> Loops { get; } = new();

    private LoopPlan PlanLoop(Instruction instruction, System.Func<string, string> field, System.Func<string, string> unique)
    {
        var facts = instruction.Loop!;
        var activity = Backward.Activity;
        string element = Method.Layer.ElementType;
        string matrix = $"global::LayerGen.Matrix<{element}>";
        string baseName = Names[instruction.Result];
        int index = Backward.Activity.Definer[instruction.Result];
        string tapeType = Method.Layer.FullName + "." + instruction.Call!.TapeType;
        var plan = new LoopPlan(
            TapesField: field(baseName + "Tapes"),
            StartField: field(baseName + "Start"),
            CountField: field(baseName + "Count"),
            TapeType: tapeType,
            Tapes: unique(baseName + "Tapes"),
            Start: unique(baseName + "Start"),
            End: unique(baseName + "End"),
            Count: unique(baseName + "Count"),
            Index: unique(facts.Index),
            Step: unique(baseName + "Step"),
            StepGradients: unique(baseName + "StepGradients"),
            Results: Differentiator.LoopResults(Body, index));
        TapeFields.Add(new TapeField(plan.TapesField, $"global::System.Collections.Generic.List<{tapeType}>?",
            $"one tape per iteration of {facts.Header}: grown once to the longest run, reused afterwards"));
        TapeFields.Add(new TapeField(plan.StartField, "int", $"the first value of {facts.Index} in the recorded run"));
        TapeFields.Add(new TapeField(plan.CountField, "int", "how many iterations the recorded run made"));
        if (facts.While)
            plan.Again = unique(baseName + "Again");
        for (int e = 0; e < facts.Emits.Count; e++)
        {
            plan.EmitFields.Add(field(baseName + Pascal(facts.Emits[e])));
            TapeFields.Add(new TapeField(plan.EmitFields[e], $"global::System.Collections.Generic.List<{matrix}>?",
                $"the items {facts.Emits[e]} collects, one per iteration: the list the forward returns, reused"));
            plan.EmitItems.Add(unique(facts.Emits[e] + "Item"));
            int result = plan.Results[facts.Carried.Count + e];
            if (activity.Active[instruction.Result] && (result < 0 || !activity.Active[result]))
            {
                plan.ZeroEmitFields[e] = field(baseName + "Zero" + Pascal(facts.Emits[e]));
                TapeFields.Add(new TapeField(plan.ZeroEmitFields[e], matrix + "?", $"∂L/∂ an item of {facts.Emits[e]}, which nothing differentiates: zero"));
            }
        }
        if (!activity.Active[instruction.Result])
            return plan;
        // The carried adjoints, walking back; a result the rest of the body does not use starts from zero.
        for (int k = 0; k < facts.Carried.Count; k++)
        {
            var parameter = instruction.Call.Parameters[facts.Inputs[facts.Carried[k]].Operand];
            if (parameter.Kind == ValueKind.Other)
                continue; // a counter: nothing to carry back
            plan.CarriedAdjoints[k] = unique(baseName + "D" + Pascal(parameter.Name));
            int result = plan.Results[k];
            if ((result < 0 || !activity.Active[result]) && Body.Values[instruction.Operands[facts.Inputs[facts.Carried[k]].Operand]].Kind == ValueKind.Matrix)
            {
                plan.ZeroResultFields[k] = field(baseName + "Zero" + Pascal(parameter.Name));
                TapeFields.Add(new TapeField(plan.ZeroResultFields[k], matrix + "?", $"∂L/∂{parameter.Name} after the loop, which nothing reads: zero"));
            }
        }
        // The gradients summed over the iterations: outer values read by the body, and sequence elements.
        foreach (var step in Backward.Steps)
        {
            if (step.Kernel != BackwardKernel.CallGradient || step.Instruction != index)
                continue;
            int position = step.Position;
            var input = facts.Inputs.First(x => x.Operand == position);
            if (input.Kind == LoopInputKind.Carried)
                continue;
            var parameter = instruction.Call.Parameters[position];
            var outer = Body.Values[instruction.Operands[position]];
            plan.Accumulators[position] = unique(baseName + "D" + Pascal(parameter.Name));
            if (input.Kind == LoopInputKind.Item)
            {
                plan.AccumulatorFields[position] = field(baseName + "D" + Pascal(parameter.Name));
                TapeFields.Add(new TapeField(plan.AccumulatorFields[position], $"global::System.Collections.Generic.List<{matrix}>?",
                    $"∂L/∂ each element of {Names[instruction.Operands[position]]}: the list Backward returns"));
                plan.ZeroItemFields[position] = field(baseName + Pascal(parameter.Name) + "Zeros");
                TapeFields.Add(new TapeField(plan.ZeroItemFields[position], $"global::System.Collections.Generic.List<{matrix}?>?",
                    $"zero gradients of the elements of {Names[instruction.Operands[position]]} the loop did not visit"));
            }
            else if (outer.Kind == ValueKind.Matrix)
            {
                plan.AccumulatorFields[position] = field(baseName + "D" + Pascal(parameter.Name));
                TapeFields.Add(new TapeField(plan.AccumulatorFields[position], matrix + "?",
                    $"∂L/∂{Names[instruction.Operands[position]]} summed over the iterations: adjoint work buffer"));
            }
        }
        return plan;
    }

    /// <summary>
    /// Names for the values the user did not name, derived from the user's own names so that a reader recognises them:
    /// a product of named operands is their juxtaposition as in the math (<c>x * W</c> → <c>xW</c>, <c>h * Uz</c> →
    /// <c>hUz</c>, <c>q * k.T</c> → <c>qKT</c>, <c>Ops.Mul(r, h)</c> → <c>rh</c>), a sum or difference of such terms
    /// says so (<c>xW + B</c> → <c>xWPlusB</c>, <c>Ops.Sub(One, z)</c> → <c>oneMinusZ</c>), and anything else in a
    /// statement that assigns a local is named after that local and the op (the <c>… + Bz</c> inside
    /// <c>z = Ops.Sigmoid(x * Wz + h * Uz + Bz)</c> is <c>zSum</c>). What is left keeps the op's hint (<c>softmax</c>).
    /// </summary>
    private sealed class ReadableNames
    {
        /// <summary>Longest derived name; longer ones fall back to naming after the local.</summary>
        private const int MaxLength = 20;

        private readonly ForwardBody _body;

        // Per value: the name it may lend to a composed name (null: none), and whether that name is itself a sum
        // (sums are not nested: xWzPlusHUzPlusBz reads worse than zSum).
        private readonly string?[] _term;
        private readonly bool[] _isSum;

        public ReadableNames(ForwardBody body)
        {
            _body = body;
            _term = new string?[body.Values.Count];
            _isSum = new bool[body.Values.Count];
            _definer = new Instruction?[body.Values.Count];
            foreach (var instruction in body.Instructions)
                _definer[instruction.Result] = instruction;
        }

        private readonly Instruction?[] _definer;

        /// <summary>The name hint of an instruction's result (made unique by the caller).</summary>
        public string Of(Instruction instruction)
        {
            int v = instruction.Result;
            var value = _body.Values[v];
            string? local = AssignedLocal(instruction.Statement);
            if (instruction.Op is OpKind.Constant or OpKind.ForwardCall || value.Name == local || value.Name is "output" or "loss")
            {
                // The user's local, a member's name (a constant, a sublayer's result) or the result: as it is.
                if (instruction.Op != OpKind.Constant || value.Name != "c")
                    _term[v] = value.Name;
                return value.Name;
            }
            if (value.Kind == ValueKind.Matrix && Composed(instruction) is { } composed)
                return composed;
            return local is null ? value.Name : local + MethodPlan.Pascal(value.Name);
        }

        /// <summary><c>xW</c>, <c>xWPlusB</c>, <c>oneMinusZ</c>; null when an operand has no name or the result is too long.</summary>
        private string? Composed(Instruction instruction)
        {
            var operands = instruction.Operands;
            string? A(int i) => i < operands.Count && Term(operands[i]) is { } t && !_isSum[operands[i]] ? t : null;
            string? name = null;
            bool sum = false;
            switch (instruction.Op)
            {
                case OpKind.MatMul or OpKind.Mul when A(0) is { } a && A(1) is { } b:
                    name = a + (instruction.TransposeA ? "T" : "") + MethodPlan.Pascal(b) + (instruction.TransposeB ? "T" : "");
                    break;
                case OpKind.Mul when Term(operands[0]) is { } a && Term(operands[1]) is { } b:
                    // A factor that is a sum: juxtaposition would misread (oneMinusZH), so say it (oneMinusZTimesH).
                    name = a + "Times" + MethodPlan.Pascal(b);
                    sum = true;
                    break;
                case OpKind.Add or OpKind.AddScalar when A(0) is { } a && A(1) is { } b:
                    name = a + "Plus" + MethodPlan.Pascal(b);
                    sum = true;
                    break;
                case OpKind.Sub when A(0) is { } a && A(1) is { } b:
                    name = a + "Minus" + MethodPlan.Pascal(b);
                    sum = true;
                    break;
                case OpKind.Div when A(0) is { } a && A(1) is { } b:
                    name = a + "Over" + MethodPlan.Pascal(b);
                    sum = true;
                    break;
            }
            if (name is null || name.Length > MaxLength)
                return null;
            name = char.ToLowerInvariant(name[0]) + name.Substring(1);
            _term[instruction.Result] = name;
            _isSum[instruction.Result] = sum;
            return name;
        }

        /// <summary>The name a value lends to a composed name: sources by their own name, others as computed.</summary>
        private string? Term(int v)
        {
            var definer = _definer[v];
            return definer switch
            {
                { Op: OpKind.Input or OpKind.Parameter } => definer.Text,
                { Op: OpKind.Constant, IsLiteral: true } => null,
                _ => _term[v],
            };
        }

        /// <summary>The local a statement assigns (<c>z</c> in <c>z = …</c> or <c>z += …</c>), or null (a return).</summary>
        private static string? AssignedLocal(string statement)
        {
            int end = 0;
            while (end < statement.Length && (char.IsLetterOrDigit(statement[end]) || statement[end] == '_'))
                end++;
            if (end == 0 || char.IsDigit(statement[0]) || end == statement.Length || statement[end] != ' ')
                return null;
            string rest = statement.Substring(end + 1);
            bool assignment = rest.StartsWith("= ", System.StringComparison.Ordinal)
                || (rest.Length > 2 && rest[1] == '=' && rest[2] == ' ' && "+-*/".IndexOf(rest[0]) >= 0);
            return assignment ? statement.Substring(0, end) : null;
        }
    }

    /// <summary>A matrix adjoint that the tape owns (not dOutput, not a parameter gradient, not a callee's matrix).</summary>
    public bool NeedsAdjointBuffer(int v)
    {
        if (Body.Values[v].Kind != ValueKind.Matrix || Storage[v] == Planning.Storage.LayerParameter || AdjointNames[v] == "dOutput")
            return false;
        if (_ownsBuffer[v])
            return true;
        // An input the result does not depend on still returns a (zeroed) gradient buffer.
        return !_targeted[v] && IsDifferentiableInput(v);
    }

    private bool[] _ownsBuffer = System.Array.Empty<bool>();
    private bool[] _targeted = System.Array.Empty<bool>();
    private HashSet<string> _differentiableInputs = new();

    /// <summary>The value is a differentiable parameter of the forward method (Backward returns its gradient).</summary>
    public bool IsDifferentiableInput(int v)
    {
        var instruction = Body.Instructions[Backward.Activity.Definer[v]];
        return instruction.Op == OpKind.Input && _differentiableInputs.Contains(instruction.Text!);
    }

    private static bool IsValueType(ValueInfo value) =>
        value.IsValueType || value.TypeName is "int" or "long" or "bool" or "float" or "double"
        || value.TypeName.StartsWith("global::System.ValueTuple", System.StringComparison.Ordinal);

    /// <summary>
    /// A hint made into a C# identifier: a dotted sublayer parameter (<c>L1.W</c>) reads <c>l1W</c>; anything else that
    /// cannot be in an identifier is dropped.
    /// </summary>
    private static string Identifier(string hint)
    {
        if (string.IsNullOrEmpty(hint))
            return hint;
        var builder = new System.Text.StringBuilder(hint.Length);
        bool upper = false;
        foreach (char c in hint)
        {
            if (char.IsLetterOrDigit(c) || c == '_')
            {
                builder.Append(upper && builder.Length > 0 ? char.ToUpperInvariant(c) : c);
                upper = false;
            }
            else
            {
                upper = true;
            }
        }
        if (builder.Length > 0 && char.IsDigit(builder[0]))
            builder.Insert(0, 'v');
        return builder.ToString();
    }

    /// <summary>PascalCase of an identifier (<c>hidden</c> → <c>Hidden</c>).</summary>
    public static string Pascal(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);

    private static readonly HashSet<string> Keywords = new()
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while",
    };
}
