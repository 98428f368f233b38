using System.Collections.Generic;
using System.Linq;
using LayerGen.Generator.Differentiation;
using LayerGen.Generator.Model;

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
    private MethodPlan(ForwardMethodModel method, ForwardBody body, BackwardProgram backward)
    {
        Method = method;
        Body = body;
        Backward = backward;
        int n = body.Values.Count;
        Names = new string[n];
        AdjointNames = new string[n];
        Storage = new Storage[n];
        SavedField = new string?[n];
        BufferField = new string?[n];
        AdjointField = new string?[n];
        CallTapeField = new string?[n];
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

    /// <summary>The softmax probabilities a cross-entropy saves for its backward.</summary>
    public string?[] ProbabilitiesField { get; }

    /// <summary>Backward reads the forward value (rules, or the shape of its adjoint buffer).</summary>
    public bool[] ReadByBackward { get; }

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

    /// <summary>Plans a method.</summary>
    public static MethodPlan Create(ForwardMethodModel method, ForwardBody body)
    {
        var plan = new MethodPlan(method, body, Differentiator.Differentiate(body));
        plan.Build();
        return plan;
    }

    private void Build()
    {
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
        foreach (var reserved in Body.ReservedNames)
            used.Add(reserved);
        string Unique(string hint)
        {
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
                case OpKind.ForwardCall when value.Kind == ValueKind.Matrix:
                    Names[v] = Unique(value.Name);
                    Storage[v] = Planning.Storage.Borrowed;
                    break;
                default:
                    Names[v] = Unique(value.Name);
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
            AdjointNames[v] = v == Body.Result && instructions[activity.Definer[v]].Op is not (OpKind.Input or OpKind.Parameter)
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
        for (int v = 0; v < Body.Values.Count; v++)
        {
            // A differentiable input the result does not depend on still gets a (zero) gradient of its shape.
            if (IsDifferentiableInput(v) && !activity.Active[v] && Body.Values[v].Kind == ValueKind.Matrix)
                ReadByBackward[v] = true;
        }

        // Tape fields, in forward order: call tapes, buffers, saved values; then adjoint buffers.
        var fieldNames = new HashSet<string>(System.StringComparer.Ordinal) { "_recorded" };
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
            if (instruction.Op == OpKind.ForwardCall)
            {
                CallTapeField[v] = Field(Names[v] + "Tape");
                TapeFields.Add(new TapeField(CallTapeField[v]!, instruction.Call!.TapeType + "?", $"the tape of {instruction.Source}"));
            }
            switch (Storage[v])
            {
                case Planning.Storage.Buffer:
                    BufferField[v] = Field(Names[v]);
                    TapeFields.Add(new TapeField(BufferField[v]!, matrix + "?", $"{Names[v]} = {instruction.Source}: {role}"));
                    break;
                case Planning.Storage.Input or Planning.Storage.Local or Planning.Storage.Borrowed when ReadByBackward[v]:
                    SavedField[v] = Field(Names[v]);
                    bool reference = value.Kind != ValueKind.Scalar && !IsValueType(value.TypeName);
                    TapeFields.Add(new TapeField(SavedField[v]!, value.TypeName + (reference ? "?" : ""), $"{Names[v]}: saved for Backward"));
                    break;
            }
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

    private static bool IsValueType(string typeName) =>
        typeName is "int" or "long" or "bool" or "float" or "double" || typeName.StartsWith("global::System.ValueTuple", System.StringComparison.Ordinal);

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
