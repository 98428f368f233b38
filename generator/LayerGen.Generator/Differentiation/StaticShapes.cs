using LayerGen.Generator.Model;

namespace LayerGen.Generator.Differentiation;

/// <summary>
/// The little shape knowledge the planner uses today: [Shape] attributes propagated through products, element-wise
/// ops and broadcasts, where every operand's shape is declared. Full symbolic inference (LG1xxx) is a later issue;
/// where anything is unknown the answer is null ("cannot decide"), never a guess.
/// </summary>
internal static class StaticShapes
{
    /// <summary>The statically known shape of every value, or null.</summary>
    public static Shape?[] Infer(ForwardBody body)
    {
        var shapes = new Shape?[body.Values.Count];
        foreach (var instruction in body.Instructions)
        {
            Shape? S(int i) => i < instruction.Operands.Count ? shapes[instruction.Operands[i]] : null;
            shapes[instruction.Result] = instruction.Op switch
            {
                OpKind.Input or OpKind.Parameter or OpKind.ForwardCall => body.Values[instruction.Result].Shape,
                OpKind.MatMul when S(0) is { } a && S(1) is { } b =>
                    new Shape(instruction.TransposeA ? a.Cols : a.Rows, instruction.TransposeB ? b.Rows : b.Cols),
                OpKind.Transpose when S(0) is { } a => new Shape(a.Cols, a.Rows),
                OpKind.Add or OpKind.Sub or OpKind.Mul or OpKind.Div when S(0) is { } a && S(1) is { } b => Broadcast(a, b),
                OpKind.AddScalar or OpKind.Neg or OpKind.Scale or OpKind.Relu or OpKind.LeakyRelu or OpKind.Sigmoid or OpKind.Tanh
                    or OpKind.Gelu or OpKind.Softplus or OpKind.Exp or OpKind.Log or OpKind.Sqrt or OpKind.Square or OpKind.Abs
                    or OpKind.Softmax or OpKind.LogSoftmax => S(0),
                _ => null,
            };
        }
        return shapes;
    }

    private static Shape? Broadcast(Shape a, Shape b)
    {
        string? rows = Dimension(a.Rows, b.Rows);
        string? cols = Dimension(a.Cols, b.Cols);
        return rows is null || cols is null ? null : new Shape(rows, cols);
    }

    private static string? Dimension(string a, string b) => a == b ? a : a == "1" ? b : b == "1" ? a : null;
}
