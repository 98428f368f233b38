using System.Collections.Generic;
using System.Linq;
using System.Text;
using LayerGen.Generator.Differentiation;
using LayerGen.Generator.Model;
using LayerGen.Generator.Planning;

namespace LayerGen.Generator.Emit;

/// <summary>
/// Writes the generated C#: per <c>[Forward]</c> method its tape class, training forward and backward; per layer type
/// its <c>Gradients</c> class and <c>Parameters(Gradients)</c>. A pure function of the models.
/// </summary>
internal static class Emitter
{
    /// <summary>The version written into <c>[GeneratedCode]</c>.</summary>
    public static readonly string Version = typeof(Emitter).Assembly.GetName().Version?.ToString(3) ?? "0.1.0";

    private static string GeneratedCode => $"[global::System.CodeDom.Compiler.GeneratedCode(\"LayerGen\", \"{Version}\")]";

    private const string Ops = "global::LayerGen.Ops";
    private const string Losses = "global::LayerGen.Losses";

    /// <summary>The hint name of a method's file.</summary>
    public static string MethodHintName(ForwardMethodModel method) => $"{method.Layer.HintPrefix}.{method.Name}.g.cs";

    /// <summary>The hint name of a type's Gradients file.</summary>
    public static string GradientsHintName(LayerTypeModel type) => $"{type.HintPrefix}.Gradients.g.cs";

    // ====================================================================== per type: Gradients + Parameters

    /// <summary>The <c>Gradients</c> class and <c>Parameters(Gradients)</c> of a layer type.</summary>
    public static string EmitGradients(LayerModel layer)
    {
        var type = layer.Type;
        var w = new SourceWriter();
        string matrix = $"global::LayerGen.Matrix<{type.ElementType}>";
        string parameter = $"global::LayerGen.Parameter<{type.ElementType}>";
        OpenTypes(w, type);

        // public sealed class Gradients { Matrix<T> W { get; } …; Gradients(Layer layer); void Clear(); }
        w.Line($"/// <summary>∂L/∂parameter for every trainable parameter of this layer (same names, same shapes) and its sublayers.</summary>");
        w.Line("/// <remarks>Backward passes add into these (<c>+=</c>); <see cref=\"Clear\"/> zeroes them.</remarks>");
        w.Line(GeneratedCode);
        w.Line("public sealed class Gradients").Open();
        w.Line("/// <summary>Zeroed gradients shaped like <paramref name=\"layer\"/>'s current parameters.</summary>");
        w.Line("/// <param name=\"layer\">The layer whose parameter shapes to take.</param>");
        w.Line($"public Gradients({type.FullName} layer)").Open();
        if (!type.Declarations[type.Declarations.Count - 1].Keyword.Contains("struct"))
            w.Line("global::System.ArgumentNullException.ThrowIfNull(layer);");
        foreach (var p in type.TrainableParameters)
            w.Line($"{p.Name} = new {matrix}(layer.{p.Name}.Rows, layer.{p.Name}.Cols);");
        foreach (var s in type.Sublayers)
            w.Line($"{s.Name} = new {s.TypeName}.Gradients(layer.{s.Name});");
        w.Close();
        foreach (var p in type.TrainableParameters)
        {
            w.Line();
            w.Line($"/// <summary>∂L/∂{p.Name}{(p.Shape is null ? "" : ", " + Xml(p.Shape.ToString()))}.</summary>");
            w.Line($"public {matrix} {p.Name} {{ get; }}");
        }
        foreach (var s in type.Sublayers)
        {
            w.Line();
            w.Line($"/// <summary>The gradients of sublayer {s.Name}.</summary>");
            w.Line($"public {s.TypeName}.Gradients {s.Name} {{ get; }}");
        }
        w.Line();
        w.Line("/// <summary>Zeroes every gradient, sublayers included.</summary>");
        w.Line("public void Clear()").Open();
        foreach (var p in type.TrainableParameters)
            w.Line($"{p.Name}.Clear();");
        foreach (var s in type.Sublayers)
            w.Line($"{s.Name}.Clear();");
        w.Close();
        w.Close();
        w.Line();

        // Parameters(gradients): [("W", W, gradients.W), …, ("Hidden.W", Hidden.W, gradients.Hidden.W), …]
        w.Line("/// <summary>Every trainable parameter with its gradient, for optimizers; sublayer parameters are dotted (<c>Hidden.W</c>).</summary>");
        w.Line("/// <param name=\"gradients\">Where the gradients are accumulated.</param>");
        w.Line(GeneratedCode);
        w.Line($"public global::System.Collections.Generic.IReadOnlyList<{parameter}> Parameters(Gradients gradients)").Open();
        w.Line("global::System.ArgumentNullException.ThrowIfNull(gradients);");
        w.Line($"var parameters = new global::System.Collections.Generic.List<{parameter}>();");
        foreach (var p in type.TrainableParameters)
            w.Line($"parameters.Add(new {parameter}(\"{p.Name}\", this.{p.Name}, gradients.{p.Name}));");
        foreach (var s in type.Sublayers)
        {
            w.Line($"foreach (var parameter in this.{s.Name}.Parameters(gradients.{s.Name}))");
            w.Line($"    parameters.Add(new {parameter}(\"{s.Name}.\" + parameter.Name, parameter.Value, parameter.Gradient));");
        }
        w.Line("return parameters;");
        w.Close();
        CloseTypes(w, type);
        return w.ToString();
    }

    // ====================================================================== per method: Tape, Forward, Backward

    /// <summary>The tape class, training forward and backward of one method.</summary>
    public static string EmitMethod(ForwardMethodModel method, ForwardBody body)
    {
        var plan = MethodPlan.Create(method, body);
        var w = new SourceWriter();
        OpenTypes(w, method.Layer);
        EmitTape(w, plan);
        w.Line();
        EmitForward(w, plan);
        w.Line();
        EmitBackward(w, plan);
        CloseTypes(w, method.Layer);
        return w.ToString();
    }

    private static void EmitTape(SourceWriter w, MethodPlan plan)
    {
        var method = plan.Method;
        string tape = Parsing.Symbols.TapeName(method.Name);
        w.Line($"/// <summary>What <c>{Parsing.Symbols.BackwardName(method.Name)}</c> needs from one training <c>{method.Name}</c>, plus reusable work buffers.</summary>");
        w.Line("/// <remarks>");
        w.Line("/// Make one with <c>new()</c> and reuse it: its buffers are sized on first use and reused afterwards, so a");
        w.Line("/// training step allocates nothing after the first. Matrices it returns are overwritten by the next call.");
        w.Line("/// </remarks>");
        w.Line(GeneratedCode);
        w.Line($"public sealed class {tape}").Open();
        foreach (var field in plan.TapeFields)
        {
            w.Line($"/// <summary>{Xml(field.Purpose)}</summary>");
            w.Line($"internal {field.Type} {field.Name};");
            w.Line();
        }
        w.Line("/// <summary>A training forward has filled this tape.</summary>");
        w.Line("internal bool _recorded;");
        w.Close();
    }

    private static string Signature(MethodPlan plan) =>
        string.Join(", ", plan.Method.Parameters.Select(p => $"{p.TypeName} {p.Name}"));

    private static string ResultType(ForwardMethodModel method) =>
        method.ReturnKind == ValueKind.Matrix ? $"global::LayerGen.Matrix<{method.Layer.ElementType}>" : method.Layer.ElementType;

    private static void EmitForward(SourceWriter w, MethodPlan plan)
    {
        var method = plan.Method;
        var body = plan.Body;
        var activity = plan.Backward.Activity;
        string tapeType = Parsing.Symbols.TapeName(method.Name);
        string element = method.Layer.ElementType;
        string matrix = $"global::LayerGen.Matrix<{element}>";
        string @static = method.IsStatic ? "static " : "";

        w.Line($"/// <summary>Training forward: the same result as <c>{method.Name}</c>, recording into <paramref name=\"tape\"/> what <c>{Parsing.Symbols.BackwardName(method.Name)}</c> needs.</summary>");
        foreach (var p in method.Parameters)
            w.Line($"/// <param name=\"{p.Name}\">As in <c>{method.Name}</c>.</param>");
        w.Line("/// <param name=\"tape\">Receives the saved values; reused across calls.</param>");
        w.Line("/// <returns>The result (a matrix owned by the tape).</returns>");
        w.Line(GeneratedCode);
        string separator = method.Parameters.Count > 0 ? ", " : "";
        w.Line($"{method.Accessibility} {@static}{ResultType(method)} {method.Name}({Signature(plan)}{separator}{tapeType} tape)").Open();
        w.Line("global::System.ArgumentNullException.ThrowIfNull(tape);");
        ShapeAssertEmitter.Emit(w, method, body); // fail fast when actual sizes contradict [Shape]

        string lastStatement = "";
        foreach (var instruction in body.Instructions)
        {
            int v = instruction.Result;
            if (!activity.Live[v] && !plan.ReadByBackward[v])
                continue;
            string N(int i) => Operand(plan, instruction.Operands[i]);
            string name = plan.Names[v];
            if (instruction.Op is not (OpKind.Input or OpKind.Parameter) && !(instruction.Op == OpKind.Constant && instruction.IsLiteral)
                && instruction.Statement != lastStatement && instruction.Statement.Length > 0)
            {
                w.Line($"// {instruction.Statement}  (line {instruction.Line})");
                lastStatement = instruction.Statement;
            }
            string Buffer(string rows, string cols)
            {
                w.Line($"var {name} = {matrix}.EnsureShape(ref tape.{plan.BufferField[v]}, {rows}, {cols});");
                return name;
            }
            string Same(int i) => $"{N(i)}.Rows, {N(i)}.Cols";

            switch (instruction.Op)
            {
                case OpKind.Input or OpKind.Parameter:
                    break;
                case OpKind.Constant:
                    if (!instruction.IsLiteral)
                        w.Line($"{body.Values[v].TypeName} {name} = {instruction.Text};");
                    break;
                case OpKind.MatMul:
                {
                    string rows = instruction.TransposeA ? $"{N(0)}.Cols" : $"{N(0)}.Rows";
                    string cols = instruction.TransposeB ? $"{N(1)}.Rows" : $"{N(1)}.Cols";
                    Buffer(rows, cols);
                    w.Line($"{Ops}.MatMul({N(0)}, {N(1)}, {name}{Flags(instruction.TransposeA, instruction.TransposeB)});");
                    break;
                }
                case OpKind.Transpose:
                    Buffer($"{N(0)}.Cols", $"{N(0)}.Rows");
                    w.Line($"{Ops}.Transpose({N(0)}, {name});");
                    break;
                case OpKind.Add or OpKind.Sub or OpKind.Mul or OpKind.Div:
                    Buffer($"global::System.Math.Max({N(0)}.Rows, {N(1)}.Rows)", $"global::System.Math.Max({N(0)}.Cols, {N(1)}.Cols)");
                    w.Line($"{Ops}.{instruction.Op}({N(0)}, {N(1)}, {name});");
                    break;
                case OpKind.AddScalar:
                    Buffer($"{N(0)}.Rows", $"{N(0)}.Cols");
                    w.Line($"{Ops}.Add({N(0)}, {N(1)}, {name});");
                    break;
                case OpKind.Scale or OpKind.LeakyRelu:
                    Buffer($"{N(0)}.Rows", $"{N(0)}.Cols");
                    w.Line($"{Ops}.{instruction.Op}({N(0)}, {N(1)}, {name});");
                    break;
                case OpKind.Neg or OpKind.Relu or OpKind.Sigmoid or OpKind.Tanh or OpKind.Gelu or OpKind.Softplus or OpKind.Exp
                    or OpKind.Log or OpKind.Sqrt or OpKind.Square or OpKind.Abs or OpKind.Softmax or OpKind.LogSoftmax:
                    Buffer($"{N(0)}.Rows", $"{N(0)}.Cols");
                    w.Line($"{Ops}.{instruction.Op}({N(0)}, {name});");
                    break;
                case OpKind.SumAxis or OpKind.MeanAxis:
                    if (instruction.Axis == 0)
                        Buffer("1", $"{N(0)}.Cols");
                    else
                        Buffer($"{N(0)}.Rows", "1");
                    w.Line($"{Ops}.{(instruction.Op == OpKind.SumAxis ? "Sum" : "Mean")}({N(0)}, {instruction.Axis}, {name});");
                    break;
                case OpKind.Concat:
                    if (instruction.Axis == 0)
                        Buffer($"{N(0)}.Rows + {N(1)}.Rows", $"{N(0)}.Cols");
                    else
                        Buffer($"{N(0)}.Rows", $"{N(0)}.Cols + {N(1)}.Cols");
                    w.Line($"{Ops}.Concat({N(0)}, {N(1)}, {instruction.Axis}, {name});");
                    break;
                case OpKind.SliceRows:
                    Buffer(N(2), $"{N(0)}.Cols");
                    w.Line($"{Ops}.SliceRows({N(0)}, {N(1)}, {N(2)}, {name});");
                    break;
                case OpKind.SliceColumns:
                    Buffer($"{N(0)}.Rows", N(2));
                    w.Line($"{Ops}.SliceColumns({N(0)}, {N(1)}, {N(2)}, {name});");
                    break;
                case OpKind.Sum or OpKind.Mean or OpKind.SumOfSquares:
                    w.Line($"{element} {name} = {Ops}.{instruction.Op}({N(0)});");
                    break;
                case OpKind.Dot:
                    w.Line($"{element} {name} = {Ops}.Dot({N(0)}, {N(1)});");
                    break;
                case OpKind.SoftmaxCrossEntropy:
                {
                    string probabilities = $"{matrix}.EnsureShape(ref tape.{plan.ProbabilitiesField[v]}, {Same(0)})";
                    w.Line($"{element} {name} = {Losses}.SoftmaxCrossEntropy({N(0)}, {N(1)}, {probabilities});");
                    break;
                }
                case OpKind.MeanSquaredError or OpKind.BinaryCrossEntropyWithLogits:
                    w.Line($"{element} {name} = {Losses}.{instruction.Op}({N(0)}, {N(1)});");
                    break;
                case OpKind.ScalarAdd:
                    w.Line($"{element} {name} = {N(0)} + {N(1)};");
                    break;
                case OpKind.ScalarSub:
                    w.Line($"{element} {name} = {N(0)} - {N(1)};");
                    break;
                case OpKind.ScalarMul:
                    w.Line($"{element} {name} = {N(0)} * {N(1)};");
                    break;
                case OpKind.ScalarDiv:
                    w.Line($"{element} {name} = {N(0)} / {N(1)};");
                    break;
                case OpKind.ScalarNeg:
                    w.Line($"{element} {name} = -{N(0)};");
                    break;
                case OpKind.ForwardCall:
                {
                    var call = instruction.Call!;
                    string args = string.Join("", instruction.Operands.Select((o, i) => Operand(plan, o) + ", "));
                    string type = call.ReturnsScalar ? element : "var";
                    w.Line($"{type} {name} = {Receiver(call)}.{call.MethodName}({args}tape.{plan.CallTapeField[v]} ??= new {call.TapeType}());");
                    break;
                }
            }
            if (plan.SavedField[v] is { } saved)
                w.Line($"tape.{saved} = {Operand(plan, v)};");
        }
        w.Line("tape._recorded = true;");
        w.Line($"return {Operand(plan, body.Result)};");
        w.Close();
    }

    private static string Receiver(ForwardCallee call) => call.Kind switch
    {
        CalleeKind.Sublayer => "this." + call.Receiver,
        CalleeKind.Self => "this",
        _ => call.Receiver,
    };

    private static string Flags(bool transposeA, bool transposeB) =>
        (transposeA ? ", transposeA: true" : "") + (transposeB ? ", transposeB: true" : "");

    /// <summary>How a forward value is written where it is used.</summary>
    private static string Operand(MethodPlan plan, int v)
    {
        string name = plan.Names[v];
        return plan.Storage[v] == Storage.Literal && name.StartsWith("-", System.StringComparison.Ordinal) ? $"({name})" : name;
    }

    // ---------------------------------------------------------------------- backward

    private static void EmitBackward(SourceWriter w, MethodPlan plan)
    {
        var method = plan.Method;
        var body = plan.Body;
        var layer = method.Layer;
        string element = layer.ElementType;
        string matrix = $"global::LayerGen.Matrix<{element}>";
        string tapeType = Parsing.Symbols.TapeName(method.Name);
        string backwardName = Parsing.Symbols.BackwardName(method.Name);
        string @static = method.IsStatic ? "static " : "";
        var differentiable = method.Parameters.Where(p => p.IsDifferentiable).ToList();
        string returnType = differentiable.Count switch
        {
            0 => "void",
            1 => differentiable[0].TypeName,
            _ => "(" + string.Join(", ", differentiable.Select(p => $"{p.TypeName} d{MethodPlan.Pascal(p.Name)}")) + ")",
        };

        // Documentation, with the derivation in the article's notation.
        w.Line($"/// <summary>Backward pass of <c>{method.Name}</c>: applies the chain rule to the values recorded in <paramref name=\"tape\"/>{(method.IsStatic ? "" : " and adds ∂L/∂parameter into <paramref name=\"gradients\"/>")}.</summary>");
        w.Line("/// <remarks>");
        w.Line("/// Derivation (reverse mode):");
        w.Line("/// <code>");
        foreach (var instruction in body.Instructions)
        {
            if (plan.Backward.Activity.Live[instruction.Result] && Notation.Forward(plan, instruction) is { } forward)
                w.Line($"/// {Xml(forward)}");
        }
        w.Line("/// ⇒");
        foreach (var step in plan.Backward.Steps)
            w.Line($"/// {Xml(Notation.Backward(plan, step))}");
        w.Line("/// </code>");
        w.Line("/// Gradients accumulate (<c>+=</c>). Returned matrices are owned by the tape and overwritten by its next use.");
        w.Line("/// </remarks>");
        w.Line("/// <param name=\"tape\">The tape a training forward filled.</param>");
        bool scalarResult = method.ReturnKind == ValueKind.Scalar;
        string gradientsParameter = method.IsStatic ? "" : ", Gradients gradients";
        string parameters;
        if (scalarResult)
        {
            if (!method.IsStatic)
                w.Line("/// <param name=\"gradients\">Receives ∂L/∂parameter (added).</param>");
            w.Line("/// <param name=\"dOutput\">∂L/∂result (1 when the result is the loss).</param>");
            string defaultValue = layer.ElementIsTypeParameter ? "" : " = 1";
            parameters = $"{tapeType} tape{gradientsParameter}, {element} dOutput{defaultValue}";
        }
        else
        {
            w.Line("/// <param name=\"dOutput\">∂L/∂result, shaped like the result.</param>");
            if (!method.IsStatic)
                w.Line("/// <param name=\"gradients\">Receives ∂L/∂parameter (added).</param>");
            parameters = $"{tapeType} tape, {matrix} dOutput{gradientsParameter}";
        }
        if (differentiable.Count > 0)
            w.Line($"/// <returns>∂L/∂{string.Join(", ∂L/∂", differentiable.Select(p => p.Name))}.</returns>");
        w.Line(GeneratedCode);
        w.Line($"{method.Accessibility} {@static}{returnType} {backwardName}({parameters})").Open();
        w.Line("global::System.ArgumentNullException.ThrowIfNull(tape);");
        if (!scalarResult)
            w.Line("global::System.ArgumentNullException.ThrowIfNull(dOutput);");
        if (!method.IsStatic)
            w.Line("global::System.ArgumentNullException.ThrowIfNull(gradients);");
        w.Line("if (!tape._recorded)");
        w.Line($"    throw new global::System.InvalidOperationException(\"{backwardName}: the tape holds no forward pass; call {method.Name}(…, tape) first.\");");

        // Load the saved forward values this pass reads.
        bool any = false;
        for (int v = 0; v < body.Values.Count; v++)
        {
            if (!plan.ReadByBackward[v])
                continue;
            string? field = plan.BufferField[v] ?? plan.SavedField[v];
            if (field is null)
                continue;
            bool reference = body.Values[v].Kind == ValueKind.Matrix || (body.Values[v].Kind == ValueKind.Other && body.Values[v].TypeName.EndsWith("[]", System.StringComparison.Ordinal));
            if (!any)
                w.Line("// the forward values Backward reads, from the tape");
            any = true;
            w.Line($"var {plan.Names[v]} = tape.{field}{(reference ? "!" : "")};");
        }

        var declared = new HashSet<int>();
        int lastInstruction = -1;
        var callResults = new Dictionary<int, string>();
        foreach (var step in plan.Backward.Steps)
        {
            var instruction = body.Instructions[step.Instruction];
            if (step.Instruction != lastInstruction)
            {
                lastInstruction = step.Instruction;
                string source = instruction.Source;
                bool whole = instruction.Statement.EndsWith(source, System.StringComparison.Ordinal);
                w.Line($"// {instruction.Statement}  (line {instruction.Line}){(whole || source.Length == 0 ? "" : ": " + source)}");
            }
            EmitStep(w, plan, step, declared, callResults);
        }

        // The gradients of the differentiable inputs.
        var results = new List<string>();
        foreach (var p in differentiable)
        {
            int v = body.Instructions.First(i => i.Op == OpKind.Input && i.Text == p.Name).Result;
            if (declared.Contains(v))
            {
                results.Add(plan.AdjointNames[v]);
                continue;
            }
            if (plan.Backward.Activity.Active[v] && plan.AdjointNames[v] == "dOutput")
            {
                results.Add("dOutput");
                continue;
            }
            // The result does not depend on this input (LG0005): its gradient is zero.
            if (p.Kind == ValueKind.Matrix)
            {
                w.Line($"// {p.Name} does not affect the result: its gradient is zero");
                w.Line($"var {plan.AdjointNames[v]} = {matrix}.EnsureShape(ref tape.{plan.AdjointField[v]}, {p.Name}.Rows, {p.Name}.Cols);");
                w.Line($"{plan.AdjointNames[v]}.Clear();");
                results.Add(plan.AdjointNames[v]);
            }
            else
            {
                results.Add(layer.ElementType + ".Zero");
            }
        }
        if (results.Count == 1)
            w.Line($"return {results[0]};");
        else if (results.Count > 1)
            w.Line($"return ({string.Join(", ", results)});");
        w.Close();

        // A scalar forward over a generic T cannot default dOutput to 1: an overload passes T.One.
        if (scalarResult && layer.ElementIsTypeParameter)
        {
            w.Line();
            w.Line($"/// <summary>Backward pass of <c>{method.Name}</c> with ∂L/∂result = 1 (the result is the loss).</summary>");
            w.Line("/// <param name=\"tape\">The tape a training forward filled.</param>");
            if (!method.IsStatic)
                w.Line("/// <param name=\"gradients\">Receives ∂L/∂parameter (added).</param>");
            if (differentiable.Count > 0)
                w.Line($"/// <returns>∂L/∂{string.Join(", ∂L/∂", differentiable.Select(p => p.Name))}.</returns>");
            w.Line(GeneratedCode);
            string args = method.IsStatic ? "tape" : "tape, gradients";
            w.Line($"{method.Accessibility} {@static}{returnType} {backwardName}({tapeType} tape{gradientsParameter}) => {backwardName}({args}, {element}.One);");
        }
    }

    private static void EmitStep(SourceWriter w, MethodPlan plan, AdjointStep step, HashSet<int> declared, Dictionary<int, string> callResults)
    {
        var body = plan.Body;
        var instruction = body.Instructions[step.Instruction];
        var layer = plan.Method.Layer;
        string element = layer.ElementType;
        string matrix = $"global::LayerGen.Matrix<{element}>";
        string R(int i) => step.Reads[i].IsAdjoint ? Adjoint(plan, step.Reads[i].Value) : Operand(plan, step.Reads[i].Value);
        string acc = step.Accumulate ? ", accumulate: true" : "";
        string note = "  // " + Notation.Backward(plan, step);
        string one = layer.ElementIsTypeParameter ? element + ".One" : element == "double" ? "1d" : "1f";
        string FromInt(string expression) => layer.ElementIsTypeParameter ? $"{element}.CreateChecked({expression})" : $"({element})({expression})";

        if (step.Kernel == BackwardKernel.CallBackward)
        {
            var call = instruction.Call!;
            string callTape = $"tape.{plan.CallTapeField[instruction.Result]}!";
            string dY = Adjoint(plan, instruction.Result);
            string gradients = call.Kind switch
            {
                CalleeKind.Sublayer => ", gradients." + call.Receiver,
                CalleeKind.Self => ", gradients",
                _ => "",
            };
            string invocation = call.ReturnsScalar
                ? $"{Receiver(call)}.{Parsing.Symbols.BackwardName(call.MethodName)}({callTape}{gradients}, {dY})"
                : $"{Receiver(call)}.{Parsing.Symbols.BackwardName(call.MethodName)}({callTape}, {dY}{gradients})";
            if (call.Parameters.Any(p => p.IsDifferentiable))
            {
                string local = Unique(plan, plan.Names[instruction.Result] + "Gradients", callResults);
                callResults[instruction.Result] = local;
                w.Line($"var {local} = {invocation};{note}");
            }
            else
            {
                w.Line($"{invocation};{note}");
            }
            return;
        }

        var targetValue = body.Values[step.Target];
        if (targetValue.Kind == ValueKind.Scalar)
        {
            string expression = step.Kernel switch
            {
                BackwardKernel.Seed => "dOutput",
                BackwardKernel.ScalarCopy => R(0),
                BackwardKernel.ScalarNegate => "-" + R(0),
                BackwardKernel.ScalarMul => $"{R(0)} * {R(1)}",
                BackwardKernel.ScalarDiv => $"{R(0)} / {R(1)}",
                BackwardKernel.ScalarDivDenominator => $"-({R(0)} * {R(1)} / {R(2)})",
                BackwardKernel.MatrixSum => $"{Ops}.Sum({R(0)})",
                BackwardKernel.MatrixDot => $"{Ops}.Dot({R(0)}, {R(1)})",
                BackwardKernel.CallGradient => CallPiece(instruction, step.Position, callResults),
                _ => throw new System.InvalidOperationException($"{step.Kernel} does not produce a scalar."),
            };
            string name = plan.AdjointNames[step.Target];
            if (declared.Add(step.Target))
                w.Line($"{element} {name} = {expression};{note}");
            else
                w.Line($"{name} += {expression};{note}");
            return;
        }

        // Matrix adjoint: dOutput, gradients.W, a tape buffer, or (a single call result) the callee's own matrix.
        if (step.Alias)
        {
            declared.Add(step.Target);
            w.Line($"var {plan.AdjointNames[step.Target]} = {CallPiece(instruction, step.Position, callResults)};{note}");
            return;
        }
        if (step.PassThrough)
        {
            declared.Add(step.Target);
            w.Line($"var {plan.AdjointNames[step.Target]} = {R(0)};{note} (same shape: no copy)");
            return;
        }
        string d = Adjoint(plan, step.Target);
        if (plan.AdjointField[step.Target] is { } field && declared.Add(step.Target))
            w.Line($"var {d} = {matrix}.EnsureShape(ref tape.{field}, {Operand(plan, step.Target)}.Rows, {Operand(plan, step.Target)}.Cols);");

        string code = step.Kernel switch
        {
            BackwardKernel.Seed => $"{Ops}.SumToShape(dOutput, {d}{acc});",
            BackwardKernel.MatMul => $"{Ops}.MatMul({R(0)}, {R(1)}, {d}{Flags(step.TransposeA, step.TransposeB)}{acc});",
            BackwardKernel.SumToShape => $"{Ops}.SumToShape({R(0)}, {d}{acc});",
            BackwardKernel.SumToShapeNegated => $"{Ops}.SumToShape({R(0)}, -{one}, {d}{acc});",
            BackwardKernel.Neg => $"{Ops}.Neg({R(0)}, {d}{acc});",
            BackwardKernel.Scale => $"{Ops}.Scale({R(0)}, {R(1)}, {d}{acc});",
            BackwardKernel.Transpose => $"{Ops}.Transpose({R(0)}, {d}{acc});",
            BackwardKernel.MulBackward or BackwardKernel.DivBackwardNumerator or BackwardKernel.ReluBackward
                or BackwardKernel.SigmoidBackward or BackwardKernel.TanhBackward or BackwardKernel.GeluBackward
                or BackwardKernel.SoftplusBackward or BackwardKernel.ExpBackward or BackwardKernel.LogBackward
                or BackwardKernel.SqrtBackward or BackwardKernel.SquareBackward or BackwardKernel.AbsBackward
                or BackwardKernel.SoftmaxBackward or BackwardKernel.LogSoftmaxBackward
                => $"{Ops}.{step.Kernel}({R(0)}, {R(1)}, {d}{acc});",
            BackwardKernel.DivBackwardDenominator or BackwardKernel.LeakyReluBackward
                => $"{Ops}.{step.Kernel}({R(0)}, {R(1)}, {R(2)}, {d}{acc});",
            BackwardKernel.SumBackward => step.Accumulate ? $"{Ops}.AddScalar({R(0)}, {d});" : $"{d}.Fill({R(0)});",
            BackwardKernel.MeanBackward => step.Accumulate
                ? $"{Ops}.AddScalar({R(0)} / {FromInt(R(1) + ".Length")}, {d});"
                : $"{d}.Fill({R(0)} / {FromInt(R(1) + ".Length")});",
            BackwardKernel.SumOfSquaresBackward => $"{Ops}.Scale({R(0)}, {R(1)} + {R(1)}, {d}{acc});",
            BackwardKernel.BroadcastTo => $"{Ops}.BroadcastTo({R(0)}, {d}{acc});",
            BackwardKernel.BroadcastToMean =>
                $"{Ops}.BroadcastTo({R(0)}, {one} / {FromInt(R(1) + (instruction.Axis == 0 ? ".Rows" : ".Cols"))}, {d}{acc});",
            BackwardKernel.ConcatSlice => ConcatSlice(instruction.Axis, step.Position, R(0), R(1), d, acc),
            BackwardKernel.SliceRowsBackward or BackwardKernel.SliceColumnsBackward => $"{Ops}.{step.Kernel}({R(0)}, {R(1)}, {d}{acc});",
            BackwardKernel.SoftmaxCrossEntropyBackward =>
                $"{Losses}.SoftmaxCrossEntropyBackward(tape.{plan.ProbabilitiesField[step.Reads[0].Value]}!, {R(1)}, {R(2)}, {d}{acc});",
            BackwardKernel.MeanSquaredErrorBackward or BackwardKernel.BinaryCrossEntropyWithLogitsBackward =>
                $"{Losses}.{step.Kernel}({R(0)}, {R(1)}, {R(2)}, {(step.Position == 0 ? d : "null")}, {(step.Position == 1 ? d : "null")}{acc});",
            BackwardKernel.CallGradient => $"{Ops}.SumToShape({CallPiece(instruction, step.Position, callResults)}, {d}{acc});",
            _ => throw new System.InvalidOperationException($"{step.Kernel} does not produce a matrix."),
        };
        w.Line(code + note);
    }

    private static string ConcatSlice(int axis, int position, string dY, string first, string d, string acc)
    {
        string op = axis == 0 ? "SliceRows" : "SliceColumns";
        string size = axis == 0 ? "Rows" : "Cols";
        return position == 0
            ? $"{Ops}.{op}({dY}, 0, {first}.{size}, {d}{acc});"
            : $"{Ops}.{op}({dY}, {first}.{size}, {dY}.{size} - {first}.{size}, {d}{acc});";
    }

    private static string CallPiece(Instruction instruction, int position, Dictionary<int, string> callResults)
    {
        var call = instruction.Call!;
        string local = callResults[instruction.Result];
        int differentiable = call.Parameters.Count(p => p.IsDifferentiable);
        return differentiable == 1 ? local : $"{local}.d{MethodPlan.Pascal(call.Parameters[position].Name)}";
    }

    private static string Unique(MethodPlan plan, string hint, Dictionary<int, string> taken)
    {
        var used = new HashSet<string>(plan.Names.Where(n => n is not null));
        used.UnionWith(plan.AdjointNames.Where(n => n is not null));
        used.UnionWith(taken.Values);
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

    /// <summary>How a value's adjoint is written: dOutput, gradients.W, or its local.</summary>
    private static string Adjoint(MethodPlan plan, int v)
    {
        if (plan.Storage[v] == Storage.LayerParameter)
            return "gradients." + plan.Names[v].Replace("this.", "");
        return plan.AdjointNames[v];
    }

    // ---------------------------------------------------------------------- shared

    private static void OpenTypes(SourceWriter w, LayerTypeModel type)
    {
        w.Line("// <auto-generated/>");
        w.Line("#nullable enable");
        w.Line();
        if (type.Namespace.Length > 0)
        {
            w.Line($"namespace {type.Namespace}");
            w.Open();
        }
        foreach (var declaration in type.Declarations)
        {
            w.Line($"partial {declaration.Keyword} {declaration.Name}{declaration.TypeParameters}");
            w.Open();
        }
    }

    private static void CloseTypes(SourceWriter w, LayerTypeModel type)
    {
        foreach (var _ in type.Declarations)
            w.Close();
        if (type.Namespace.Length > 0)
            w.Close();
    }

    private static string Xml(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            builder.Append(c switch
            {
                '<' => "&lt;",
                '>' => "&gt;",
                '&' => "&amp;",
                _ => c.ToString(),
            });
        }
        return builder.ToString();
    }
}
