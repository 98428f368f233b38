namespace LayerGen.Generator.Model;

/// <summary>
/// The rules of the generator's table for the runtime's structural ops, bound from the op's descriptor
/// (<c>[Differentiable(Rule = BuiltInRule.…)]</c> in <c>src/LayerGen</c>) by member name. The runtime's enum of the same
/// name is the source of truth; <c>OpCatalogueTests</c> fails when the two differ.
/// </summary>
internal enum BuiltInRule
{
    /// <summary>No rule.</summary>
    None,
    /// <summary>op(a)·op(b).</summary>
    MatMul,
    /// <summary>aᵀ.</summary>
    Transpose,
    /// <summary>a + b, broadcasting.</summary>
    Add,
    /// <summary>a + s.</summary>
    AddScalar,
    /// <summary>a − b, broadcasting.</summary>
    Sub,
    /// <summary>a ⊙ b, broadcasting.</summary>
    Mul,
    /// <summary>a ⊘ b, broadcasting.</summary>
    Div,
    /// <summary>max(a, b), broadcasting.</summary>
    Maximum,
    /// <summary>min(a, b), broadcasting.</summary>
    Minimum,
    /// <summary>−a.</summary>
    Neg,
    /// <summary>s·a.</summary>
    Scale,
    /// <summary>a / s, as a · (1 / s).</summary>
    DivideByScalar,
    /// <summary>Σ a.</summary>
    Sum,
    /// <summary>Σ over an axis.</summary>
    SumAxis,
    /// <summary>mean a.</summary>
    Mean,
    /// <summary>mean over an axis.</summary>
    MeanAxis,
    /// <summary>Σ a².</summary>
    SumOfSquares,
    /// <summary>Σ a ⊙ b.</summary>
    Dot,
    /// <summary>Concatenation.</summary>
    Concat,
    /// <summary>Row slice.</summary>
    SliceRows,
    /// <summary>Column slice.</summary>
    SliceColumns,
    /// <summary>Softmax cross-entropy.</summary>
    SoftmaxCrossEntropy,
    /// <summary>Mean squared error.</summary>
    MeanSquaredError,
    /// <summary>Binary cross-entropy with logits.</summary>
    BinaryCrossEntropyWithLogits,
    /// <summary>Dropout: x ⊙ a mask drawn once per call.</summary>
    Dropout,
}
