using System;

namespace LayerGen.Generator.Model;

/// <summary>What a value is at run time.</summary>
internal enum ValueKind
{
    /// <summary>A <c>Matrix&lt;T&gt;</c>.</summary>
    Matrix,

    /// <summary>A scalar of the layer's element type <c>T</c>.</summary>
    Scalar,

    /// <summary>Anything else (labels <c>int[]</c>, an <c>int</c> slice bound, a <c>bool</c>): never differentiable.</summary>
    Other,

    /// <summary>
    /// A sequence of matrices, <c>IReadOnlyList&lt;Matrix&lt;T&gt;&gt;</c> (a forward input read by loops as <c>xs[t]</c>):
    /// differentiable unless <c>[NoGrad]</c>; its gradient is a list of the same length.
    /// </summary>
    Sequence,
}

/// <summary>
/// The operation an <see cref="Instruction"/> performs. The differentiator looks each one up in the rule table
/// (<c>Differentiation/AdjointRules.cs</c>) and the emitter in its forward table; nothing matches on method names
/// after parsing.
/// </summary>
internal enum OpKind
{
    // ---- sources: every value is defined by exactly one instruction, sources included
    /// <summary>A parameter of the forward method (<see cref="Instruction.Text"/> is its name).</summary>
    Input,
    /// <summary>A read of a trainable parameter of the layer (<see cref="Instruction.Text"/> is the member name).</summary>
    Parameter,
    /// <summary>A value that does not depend on anything differentiable; <see cref="Instruction.Text"/> is C# that computes it.</summary>
    Constant,

    // ---- linear algebra
    /// <summary>op(a)·op(b) with <see cref="Instruction.TransposeA"/>/<see cref="Instruction.TransposeB"/>.</summary>
    MatMul,
    /// <summary>aᵀ, materialised (a <c>.T</c> that feeds a product is folded into <see cref="MatMul"/> instead).</summary>
    Transpose,

    // ---- element-wise (broadcasting)
    /// <summary>a + b.</summary>
    Add,
    /// <summary>a − b.</summary>
    Sub,
    /// <summary>a ⊙ b.</summary>
    Mul,
    /// <summary>a ⊘ b.</summary>
    Div,
    /// <summary>max(a, b), element-wise.</summary>
    Maximum,
    /// <summary>min(a, b), element-wise.</summary>
    Minimum,
    /// <summary>a + s (matrix plus scalar).</summary>
    AddScalar,
    /// <summary>−a.</summary>
    Neg,
    /// <summary>s·a (matrix times scalar).</summary>
    Scale,

    // ---- reductions
    /// <summary>Σ a (scalar).</summary>
    Sum,
    /// <summary>Σ over <see cref="Instruction.Axis"/> (0: column sums [1, C]; 1: row sums [R, 1]).</summary>
    SumAxis,
    /// <summary>mean a (scalar).</summary>
    Mean,
    /// <summary>Mean over <see cref="Instruction.Axis"/>.</summary>
    MeanAxis,
    /// <summary>Σ a² (scalar).</summary>
    SumOfSquares,
    /// <summary>Σ a ⊙ b (scalar).</summary>
    Dot,

    // ---- shape ops
    /// <summary>Concatenation along <see cref="Instruction.Axis"/>.</summary>
    Concat,
    /// <summary>Rows [start, start + count) (operands: a, start, count).</summary>
    SliceRows,
    /// <summary>Columns [start, start + count) (operands: a, start, count).</summary>
    SliceColumns,

    // ---- losses (scalar means)
    /// <summary>Softmax cross-entropy of logits with integer labels (operands: logits, labels).</summary>
    SoftmaxCrossEntropy,
    /// <summary>Mean squared error (operands: prediction, target).</summary>
    MeanSquaredError,
    /// <summary>Binary cross-entropy with logits (operands: logits, targets).</summary>
    BinaryCrossEntropyWithLogits,

    // ---- scalar arithmetic
    /// <summary>a + b on scalars.</summary>
    ScalarAdd,
    /// <summary>a − b on scalars.</summary>
    ScalarSub,
    /// <summary>a · b on scalars.</summary>
    ScalarMul,
    /// <summary>a / b on scalars.</summary>
    ScalarDiv,
    /// <summary>−a on scalar.</summary>
    ScalarNeg,

    /// <summary>
    /// A dropout mask of operand 0's shape: 0 with probability operand 1 (p), else 1/(1 − p), drawn from operand 2 (a
    /// <c>Random</c>). Never differentiated (it depends on x's shape only); <c>Ops.Dropout(x, p, random)</c> is x ⊙ it.
    /// </summary>
    DropoutMask,

    // ---- layer state (DESIGN.md §8: running statistics)
    /// <summary>
    /// A snapshot of a <c>[NoGrad]</c> matrix member the method updates (<see cref="Instruction.Text"/>: <c>this.Member</c>),
    /// copied into a tape buffer where it is read, so that a later update in place never changes a value the backward reads.
    /// </summary>
    StateRead,
    /// <summary>
    /// An update of a <c>[NoGrad]</c> member (<c>RunningMean = …</c>, <c>Steps++</c>, a destination-form op writing into it):
    /// <see cref="Instruction.Text"/> is the statement with its operands as holes. Runs in the training forward as written,
    /// never differentiated; kept although nothing reads it.
    /// </summary>
    StateUpdate,

    // ---- calls
    /// <summary>
    /// A call of another <c>[Forward]</c> method or of a <c>[Differentiable]</c> op (<see cref="Instruction.Call"/>): a sublayer,
    /// the layer itself, a static helper, or a registered op.
    /// </summary>
    ForwardCall,

    // ---- control flow
    /// <summary>
    /// A counted loop (<see cref="Instruction.Loop"/>): its body is a region, a method of its own generated through the
    /// same passes (<see cref="ForwardMethodModel.Regions"/>), called once per iteration with its own tape. Operands:
    /// start, end, then the outer values the body reads (<see cref="LoopFacts.Inputs"/>). Its value is a handle whose
    /// <see cref="LoopResult"/>s are the loop-carried variables after the loop.
    /// </summary>
    Loop,
    /// <summary>
    /// Variable <see cref="Instruction.Axis"/> after a loop or a branch (operand: the loop's or the branch's handle): a
    /// loop-carried variable, a variable an arm assigns, or the value of a <c>?:</c>.
    /// </summary>
    LoopResult,
    /// <summary>
    /// <c>if</c>/<c>else</c>, <c>?:</c> or an early <c>return</c> (<see cref="Instruction.Branch"/>): each arm is a region,
    /// a method of its own generated through the same passes, and the training forward calls the one the condition picks
    /// and records which. Operands: the condition, then the outer values the arms read (<see cref="BranchFacts.Inputs"/>).
    /// Its value is a handle whose <see cref="LoopResult"/>s are the variables the arms assign (or the arms' value).
    /// The condition is never differentiated: the backward is that of the arm taken.
    /// </summary>
    Branch,
}

/// <summary>
/// One SSA instruction: <see cref="Result"/> = <see cref="Op"/>(<see cref="Operands"/>) with constant attributes.
/// </summary>
/// <remarks>
/// A model type: holds no Roslyn symbol, syntax node, location or compilation (only strings, ints and other models),
/// so it is value-equatable and safe to cache in the incremental pipeline.
/// Loops and branches (a later issue) add blocks whose parameters are SSA values (phi), so an instruction keeps
/// referring to values by id and needs no change.
/// </remarks>
/// <param name="Result">The value this instruction defines.</param>
/// <param name="Op">What it computes.</param>
/// <param name="Operands">Operand value ids, in the op's parameter order.</param>
/// <param name="TransposeA">MatMul: the first operand is transposed.</param>
/// <param name="TransposeB">MatMul: the second operand is transposed.</param>
/// <param name="Axis">SumAxis/MeanAxis/Concat: the axis (0 rows, 1 columns); otherwise −1.</param>
/// <param name="Text">Input: parameter name; Parameter: member name; Constant: C# text that evaluates it.</param>
/// <param name="IsLiteral">Constant: <see cref="Text"/> is a literal, re-emitted where used instead of being saved.</param>
/// <param name="Call">ForwardCall: the callee.</param>
/// <param name="Source">The user's expression, for comments.</param>
/// <param name="Statement">The user's statement that contains it, for comments.</param>
/// <param name="Line">1-based line of the expression in the user's file.</param>
/// <param name="Loop">Loop: its header, region and how the operands reach the region.</param>
/// <param name="Branch">Branch: its header, arms and how the operands reach them.</param>
internal sealed record Instruction(
    int Result,
    OpKind Op,
    EquatableArray<int> Operands,
    bool TransposeA = false,
    bool TransposeB = false,
    int Axis = -1,
    string? Text = null,
    bool IsLiteral = false,
    ForwardCallee? Call = null,
    string Source = "",
    string Statement = "",
    int Line = 0,
    LoopFacts? Loop = null,
    BranchFacts? Branch = null)
{
    /// <summary>Loop or Branch: how many <see cref="OpKind.LoopResult"/>s it has.</summary>
    public int ResultCount => Loop is { } loop ? loop.Carried.Count + loop.Emits.Count : Branch?.Carried.Count ?? 0;

    /// <summary>Loop or Branch: where result <paramref name="k"/>'s value before it comes from (its carried input), or −1.</summary>
    public int CarriedOperand(int k)
    {
        var inputs = Loop?.Inputs ?? Branch!.Inputs;
        if (Loop is { } loop && k >= loop.Carried.Count)
            return -1; // an output list: no value before the loop
        int position = Loop?.Carried[k] ?? Branch!.Carried[k];
        return position < 0 ? -1 : inputs[position].Operand;
    }
}

/// <summary>How a region parameter of a loop body is fed each iteration.</summary>
internal enum LoopInputKind
{
    /// <summary>The loop variable itself (<c>t</c>).</summary>
    Index,
    /// <summary>An outer value passed as is every iteration (read-only in the body).</summary>
    Value,
    /// <summary>An outer variable the body assigns: its value before the iteration (the first: the value before the loop).</summary>
    Carried,
    /// <summary>Element <c>xs[t]</c> of an outer sequence (the operand is the sequence).</summary>
    Item,
}

/// <summary>One region parameter of a loop body and where its argument comes from.</summary>
/// <remarks>A model type: holds no Roslyn symbol, syntax node, location or compilation.</remarks>
/// <param name="Kind">Index, value, carried or item.</param>
/// <param name="Operand">The position in the loop instruction's operands (−1 for the index).</param>
internal sealed record LoopInput(LoopInputKind Kind, int Operand);

/// <summary>What a <see cref="OpKind.Loop"/> instruction says beyond its operands.</summary>
/// <remarks>A model type: holds no Roslyn symbol, syntax node, location or compilation.</remarks>
/// <param name="Region">The name of the body's region method (<c>ForwardLoop1</c>), one of <see cref="ForwardMethodModel.Regions"/>.</param>
/// <param name="Index">The loop variable's name.</param>
/// <param name="Inclusive">The condition is <c>t &lt;= end</c> rather than <c>t &lt; end</c>.</param>
/// <param name="Inputs">Per region parameter, in order: where its argument comes from.</param>
/// <param name="Carried">Per loop result (region result), the position in <paramref name="Inputs"/> of its carried parameter.</param>
/// <param name="Header">The loop's header as the user wrote it, for comments.</param>
/// <param name="While">
/// A <c>while (condition)</c>: operand 1 is the condition before the first iteration (no end), and the body's region
/// returns, after its other results, the condition after the iteration (whether to run another).
/// </param>
/// <param name="Emits">
/// The output lists the body adds one item to per iteration (<c>ys.Add(h)</c>), in order: after the carried results, each
/// is a result of the loop of kind <see cref="ValueKind.Sequence"/> (the list of items), and each item a region result.
/// </param>
internal sealed record LoopFacts(
    string Region,
    string Index,
    bool Inclusive,
    EquatableArray<LoopInput> Inputs,
    EquatableArray<int> Carried,
    string Header,
    EquatableArray<string> Emits = default,
    bool While = false);

/// <summary>What a <see cref="OpKind.Branch"/> instruction says beyond its operands.</summary>
/// <remarks>A model type: holds no Roslyn symbol, syntax node, location or compilation.</remarks>
/// <param name="Then">The region run when the condition holds (<c>ForwardIf1Then</c>), one of <see cref="ForwardMethodModel.Regions"/>.</param>
/// <param name="Else">The region run otherwise; an absent <c>else</c> is a region that assigns nothing.</param>
/// <param name="Inputs">Per region parameter (the same in both arms), in order: where its argument comes from (value or carried).</param>
/// <param name="Carried">
/// Per result, the position in <paramref name="Inputs"/> of the variable's value before the branch, or −1 for a variable
/// declared before the branch without a value and assigned in both arms (and for the value of a <c>?:</c>).
/// </param>
/// <param name="Header">The branch as the user wrote its head (<c>if (training)</c>, <c>training ? … : …</c>), for comments.</param>
internal sealed record BranchFacts(
    string Then,
    string Else,
    EquatableArray<LoopInput> Inputs,
    EquatableArray<int> Carried,
    string Header);

/// <summary>An SSA value.</summary>
/// <remarks>A model type: holds no Roslyn symbol, syntax node, location or compilation.</remarks>
/// <param name="Id">Index into <see cref="ForwardBody.Values"/>.</param>
/// <param name="Kind">Matrix, scalar or other.</param>
/// <param name="TypeName">The C# type, <c>global::</c>-qualified.</param>
/// <param name="Name">The name hint: the user's local or parameter name, or one derived from the op.</param>
/// <param name="Shape">The symbolic shape from <c>[Shape]</c> where the user declared one; otherwise null.</param>
/// <param name="IsVaried">Depends on a trainable parameter or a differentiable input (forward half of activity analysis).</param>
/// <param name="IsValueType">Its C# type is a value type (a saved copy is declared <c>T</c>, not <c>T?</c>).</param>
internal sealed record ValueInfo(int Id, ValueKind Kind, string TypeName, string Name, Shape? Shape, bool IsVaried, bool IsValueType = false);

/// <summary>A symbolic matrix shape as <c>[Shape]</c> declares it (rows, cols): each a symbol or an integer literal.</summary>
/// <remarks>A model type: holds no Roslyn symbol, syntax node, location or compilation.</remarks>
internal sealed record Shape(string Rows, string Cols)
{
    /// <summary>
    /// A dimension nothing determined (only in an inferred shape, never from <c>[Shape]</c>): it does not parse as a
    /// dimension expression, so shape inference reads it as a fresh unknown.
    /// </summary>
    public const string Unknown = "?";

    /// <inheritdoc/>
    public override string ToString() => $"[{Rows}, {Cols}]";
}

/// <summary>The callee of a <see cref="OpKind.ForwardCall"/>, captured from its symbol in the transform.</summary>
/// <remarks>
/// A model type: holds no Roslyn symbol, syntax node, location or compilation. It carries what the emitter needs to
/// call the callee's generated training overload and backward without looking at the callee again.
/// </remarks>
/// <param name="Kind">Sublayer member, the layer itself, or a static helper.</param>
/// <param name="Receiver">Sublayer: the member name (<c>Hidden</c>); static: the containing type, <c>global::</c>-qualified; self: empty.</param>
/// <param name="MethodName">The callee's name (<c>Forward</c>).</param>
/// <param name="TapeType">The callee's tape type, <c>global::</c>-qualified (<c>global::Ns.Dense.Tape</c>).</param>
/// <param name="ReturnsScalar">The callee returns <c>T</c> (a loss) rather than a matrix.</param>
/// <param name="Parameters">The callee's parameters.</param>
/// <param name="LayerSymbols">
/// The symbols the callee's type declares on its matrix fields and properties (layer-scoped: shared by every call of the
/// same sublayer); the other symbols of its parameter and return shapes are call-scoped. Used by shape inference.
/// </param>
/// <param name="SameAssembly">
/// The callee is compiled with the caller, so its generated internal <c>BackwardCore</c> (which skips the input
/// gradients the caller does not need) is reachable; otherwise the caller calls its public backward.
/// </param>
/// <param name="Backward">
/// A registered op (<see cref="CalleeKind.RegisteredOp"/>): the name of its <c>[Differentiable(Backward = …)]</c> method in
/// <see cref="Receiver"/>; otherwise null.
/// </param>
/// <param name="BackwardTakesResult">A registered op whose backward takes the forward's result (so the tape saves it).</param>
/// <param name="TypeArguments">A generic registered op whose type arguments cannot be inferred from its arguments: them as C# (<c>&lt;double&gt;</c>); otherwise empty.</param>
/// <param name="Registered">A registered op: what its descriptor says beyond the backward's name.</param>
/// <param name="InferredReturnShape">
/// When the callee returns a matrix without <c>[return: Shape]</c>: the result shape shape inference finds in the
/// callee's own body, in the callee's own symbols (renamed per call like a declared return shape). A dimension it could
/// not determine is <see cref="Shape.Unknown"/>; null when nothing was determined (or the callee has a declared shape,
/// errors, no source, or is part of a call cycle). A value in the model, so an edit of the callee that changes it
/// changes the caller's model too.
/// </param>
/// <param name="FrozenGradientsType">
/// A frozen sublayer (a <c>[NoGrad]</c> member): the callee's <c>Gradients</c> type, <c>global::</c>-qualified. Its
/// backward runs only for the input gradient; the parameter gradients it adds go to a scratch instance the caller's
/// tape creates on first use and that nobody reads. Null for every other call.
/// </param>
internal sealed record ForwardCallee(
    CalleeKind Kind,
    string Receiver,
    string MethodName,
    string TapeType,
    bool ReturnsScalar,
    EquatableArray<MethodParameter> Parameters,
    EquatableArray<string> LayerSymbols = default,
    bool SameAssembly = true,
    Shape? InferredReturnShape = null,
    string? Backward = null,
    bool BackwardTakesResult = false,
    string TypeArguments = "",
    RegisteredOpFacts? Registered = null,
    string? FrozenGradientsType = null)
{
    /// <summary>A call of a user-registered (or runtime) op with a <c>[Differentiable]</c> backward, not of a <c>[Forward]</c> method.</summary>
    public bool IsRegisteredOp => Kind == CalleeKind.RegisteredOp;
}

/// <summary>How a forward call reaches its callee.</summary>
internal enum CalleeKind
{
    /// <summary><c>Hidden.Forward(x)</c>: a field or property of the layer whose type has a <c>[Forward]</c> method.</summary>
    Sublayer,
    /// <summary><c>Encode(x)</c>: another instance <c>[Forward]</c> method of the same layer.</summary>
    Self,
    /// <summary><c>Blocks.Mix(a, b)</c>: a static <c>[Forward]</c> helper.</summary>
    Static,
    /// <summary>
    /// <c>MyOps.Mish(x)</c>: a static op marked <c>[Differentiable(Backward = …)]</c>. Its forward is called as written (no
    /// tape); the generated backward calls the registered backward once with the saved arguments (and result, if it
    /// takes it) and ∂L/∂result, and takes the returned gradients like a callee's.
    /// </summary>
    RegisteredOp,
    /// <summary>A loop body: a region method of this layer generated alongside its method (<see cref="OpKind.Loop"/>).</summary>
    Region,
    /// <summary>
    /// <c>Blocks[i].Forward(h)</c>, or <c>block.Forward(h)</c> in <c>foreach (var block in Blocks)</c>: an element of a
    /// collection sublayer (<see cref="ForwardCallee.Receiver"/> names the collection). The call's last operand, after
    /// the callee's parameters, is the element's index (an int the backward reads from the tape).
    /// </summary>
    SublayerElement,
}

/// <summary>A parameter of a forward method.</summary>
/// <remarks>A model type: holds no Roslyn symbol, syntax node, location or compilation.</remarks>
/// <param name="Name">As declared.</param>
/// <param name="TypeName">The C# type, <c>global::</c>-qualified.</param>
/// <param name="Kind">Matrix, scalar or other.</param>
/// <param name="IsDifferentiable">A matrix or scalar not marked <c>[NoGrad]</c>.</param>
/// <param name="Shape">
/// From <c>[Shape]</c>, if any. On <c>int[]</c> labels a one-dimensional <c>[Shape("N")]</c> (one label per row) is
/// recorded as <c>[N, 1]</c>.
/// </param>
internal sealed record MethodParameter(string Name, string TypeName, ValueKind Kind, bool IsDifferentiable, Shape? Shape);

/// <summary>What a <c>[Differentiable]</c> descriptor says about an op, beyond its backward's name (DESIGN.md §6).</summary>
/// <remarks>A model type: holds no Roslyn symbol, syntax node, location or compilation.</remarks>
/// <param name="TakesArguments">The backward reads the op's arguments (the tape saves them).</param>
/// <param name="BackwardInto">
/// The backward writes ∂L/∂ each differentiable parameter into a destination the plan gives (a tape buffer; null where
/// not needed), adding where its accumulate flag is true: an allocation-free step, not a call whose result is taken apart.
/// </param>
/// <param name="AccumulateNames">Destination form: the names of the backward's accumulate flags, one per differentiable parameter.</param>
/// <param name="AccumulateHasDefaults">Destination form: which flags are optional (false is omitted), as <paramref name="AccumulateNames"/>.</param>
/// <param name="ResultRows">
/// The result's rows as C# over operand placeholders (<c>{0}.Rows</c>), from the op's <c>[Shape]</c>s; null when they
/// do not determine it.
/// </param>
/// <param name="HasDestinationOverload">The op has <c>Op(args…, Matrix&lt;T&gt; result)</c>: with a known size, the forward writes into a tape buffer.</param>
/// <param name="ResultCols">See <paramref name="ResultRows"/>.</param>
/// <param name="Notation">How comments write a call, with parameter names in braces (<c>tanh({a})</c>), or null.</param>
/// <param name="Derivative">How comments write the derivative (<c>{dResult} ⊙ (1 − {result}²)</c>), or null.</param>
/// <param name="ReturnShape">The op's <c>[return: Shape]</c> in its own (call-scoped) symbols, for shape inference.</param>
/// <param name="ResultShape">
/// The descriptor's <c>ResultShape</c> method (same type, the op's parameters, returns <c>(int Rows, int Cols)</c>), which
/// gives the result's size instead of <paramref name="ResultRows"/>/<paramref name="ResultCols"/>; null when none.
/// </param>
internal sealed record RegisteredOpFacts(
    bool TakesArguments,
    bool BackwardInto,
    EquatableArray<string> AccumulateNames,
    EquatableArray<bool> AccumulateHasDefaults,
    string? ResultRows,
    string? ResultCols,
    string? Notation,
    string? Derivative,
    Shape? ReturnShape,
    bool HasDestinationOverload = false,
    string? ResultShape = null)
{
    /// <summary>The forward writes into a tape buffer (a destination overload exists and the result size is known).</summary>
    public bool ForwardInto => HasDestinationOverload && SizeKnown;

    /// <summary>
    /// The result's size follows from the op's <c>[Shape]</c>s or its <c>ResultShape</c> method (a returned matrix is
    /// checked against it).
    /// </summary>
    public bool SizeKnown => ResultShape is not null || (ResultRows is not null && ResultCols is not null);
}

/// <summary>
/// The text of a <see cref="OpKind.Constant"/> whose expression mentions other values (a local, a reassigned input):
/// each mention is a hole naming the operand, which the emitter fills with that value's generated name.
/// </summary>
internal static class ConstantText
{
    private const char Open = '\u0001';
    private const char Close = '\u0002';

    /// <summary>The hole for operand <paramref name="position"/> of the constant.</summary>
    public static string Hole(int position) => Open + position.ToString(System.Globalization.CultureInfo.InvariantCulture) + Close;

    /// <summary>The text with every hole replaced by <paramref name="operand"/>(its operand's value id).</summary>
    public static string Fill(string text, EquatableArray<int> operands, Func<int, string> operand)
    {
        if (text.IndexOf(Open) < 0)
            return text;
        var builder = new System.Text.StringBuilder(text.Length + 16);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != Open)
            {
                builder.Append(text[i]);
                continue;
            }
            // Only the parser writes holes; a stray control character typed in the user's own text is kept as is.
            int end = text.IndexOf(Close, i);
            if (end < 0 || !int.TryParse(text.Substring(i + 1, end - i - 1), System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out int position) || position >= operands.Count)
            {
                builder.Append(text[i]);
                continue;
            }
            builder.Append(operand(operands[position]));
            i = end;
        }
        return builder.ToString();
    }
}
