using System.Collections.Generic;
using System.ComponentModel;
using System.Numerics;

namespace LayerGen;

/// <summary>
/// The gradient lists a generated backward returns for a sequence input (<c>IReadOnlyList&lt;Matrix&lt;T&gt;&gt;</c>): one
/// matrix per element, owned by the tape and reused by its next backward.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SequenceGradients
{
    /// <summary>
    /// The tape's gradient list for <paramref name="sequence"/>, resized to its length without allocating once it has
    /// been that long: the elements <c>[start, start + count)</c> are left for the loop's backward to set; every other
    /// element is a zero matrix shaped like its element (a loop that visits only part of the sequence).
    /// </summary>
    /// <param name="gradients">The tape's list (created on first use).</param>
    /// <param name="zeros">The tape's zero buffers for unvisited elements (created on first use).</param>
    /// <param name="sequence">The forward's sequence.</param>
    /// <param name="start">The first element the loop visited.</param>
    /// <param name="count">How many it visited.</param>
    /// <returns>The list, <c>sequence.Count</c> long.</returns>
    public static List<Matrix<T>> Prepare<T>(ref List<Matrix<T>>? gradients, ref List<Matrix<T>?>? zeros, IReadOnlyList<Matrix<T>> sequence, int start, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(sequence);
        var list = gradients ??= new List<Matrix<T>>(sequence.Count);
        if (list.Count > sequence.Count)
            list.RemoveRange(sequence.Count, list.Count - sequence.Count);
        while (list.Count < sequence.Count)
            list.Add(null!);
        for (int i = 0; i < sequence.Count; i++)
        {
            if (i >= start && i < start + count)
                continue;
            var pool = zeros ??= new List<Matrix<T>?>();
            while (pool.Count <= i)
                pool.Add(null);
            var element = sequence[i];
            var zero = pool[i];
            if (zero is null || zero.Rows != element.Rows || zero.Cols != element.Cols)
                pool[i] = zero = new Matrix<T>(element.Rows, element.Cols);
            else
                zero.Clear();
            list[i] = zero;
        }
        return list;
    }

    /// <summary>Zero gradients for a sequence the result does not depend on (allocates: such an input is wasted work, LG0005).</summary>
    /// <param name="sequence">The forward's sequence.</param>
    /// <returns>One zero matrix per element, shaped like it.</returns>
    public static IReadOnlyList<Matrix<T>> ZerosLike<T>(IReadOnlyList<Matrix<T>> sequence) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(sequence);
        var list = new List<Matrix<T>>(sequence.Count);
        foreach (var element in sequence)
            list.Add(new Matrix<T>(element.Rows, element.Cols));
        return list;
    }
}
