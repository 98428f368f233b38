using System.Numerics;

namespace LayerGen;

/// <summary>
/// Splits a data set (one example per row of a feature matrix, with optional integer labels) into mini-batches:
/// each epoch visits the rows in an order shuffled from a seed, copying them into reusable batch matrices.
/// </summary>
/// <typeparam name="T">The element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// <para>Usage: <c>foreach (var batch in batches.Epoch(epoch)) { model.Loss(batch.Features, batch.Labels, tape); … }</c>.</para>
/// <para>The order of epoch e is a function of the seed and e alone, so the same seed gives the same batches, and a
/// run resumed at epoch e sees the batches an uninterrupted run would. Every row appears exactly once per epoch
/// (unless <see cref="LastBatch.Drop"/> drops the remainder).</para>
/// <para>All batch memory is allocated in the constructor: a full batch and, when the row count is not a multiple
/// of the batch size, one smaller remainder batch. Enumerating a batch allocates nothing; the matrices and label
/// arrays it yields are owned by this object and overwritten by the next batch (as a generated tape's buffers
/// are). Starting an epoch allocates one <see cref="Random"/>.</para>
/// </remarks>
public sealed class Batches<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Matrix<T> _features;
    private readonly int[]? _labels;
    private readonly int[] _order;
    private readonly Matrix<T> _fullFeatures;
    private readonly int[]? _fullLabels;
    private readonly Matrix<T>? _remainderFeatures;
    private readonly int[]? _remainderLabels;

    /// <summary>Creates the batches over <paramref name="features"/> (and <paramref name="labels"/>, one per row).</summary>
    /// <param name="features">The data set, one example per row; read, never modified (it must not change shape).</param>
    /// <param name="labels">One label per row, or <see langword="null"/> for features only.</param>
    /// <param name="batchSize">Rows per batch, ≥ 1.</param>
    /// <param name="seed">The shuffle seed, or <see langword="null"/> for the rows in order every epoch.</param>
    /// <param name="lastBatch">What to do with the last batch when the rows do not divide into whole batches.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row, or no batch fits.</exception>
    public Batches(Matrix<T> features, int[]? labels, int batchSize, int? seed, LastBatch lastBatch = LastBatch.Keep)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (labels is not null && labels.Length != features.Rows)
            throw new ArgumentException($"Batches: {labels.Length} labels for {features.Rows} rows of features {features.ShapeString}; there must be one per row.", nameof(labels));
        if (!Enum.IsDefined(lastBatch))
            throw new ArgumentOutOfRangeException(nameof(lastBatch), lastBatch, "Batches: lastBatch must be Keep or Drop.");
        _features = features;
        _labels = labels;
        BatchSize = batchSize;
        Seed = seed;
        _order = new int[features.Rows];
        for (int i = 0; i < _order.Length; i++)
            _order[i] = i;

        int fullBatches = features.Rows / batchSize;
        int remainder = features.Rows % batchSize;
        bool keepRemainder = remainder > 0 && lastBatch == LastBatch.Keep;
        Count = fullBatches + (keepRemainder ? 1 : 0);
        RowsPerEpoch = fullBatches * batchSize + (keepRemainder ? remainder : 0);
        _fullFeatures = new Matrix<T>(fullBatches > 0 ? batchSize : 0, features.Cols);
        _fullLabels = labels is null ? null : new int[fullBatches > 0 ? batchSize : 0];
        if (keepRemainder)
        {
            _remainderFeatures = new Matrix<T>(remainder, features.Cols);
            _remainderLabels = labels is null ? null : new int[remainder];
        }
    }

    /// <summary>Rows in a full batch.</summary>
    public int BatchSize { get; }

    /// <summary>The shuffle seed; <see langword="null"/> when the rows are visited in order.</summary>
    public int? Seed { get; }

    /// <summary>Batches per epoch (the partial last batch counts when it is kept).</summary>
    public int Count { get; }

    /// <summary>Rows visited per epoch: all of them, or fewer when the partial last batch is dropped.</summary>
    public int RowsPerEpoch { get; }

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/> (any integer; usually 0, 1, 2, …), in an order that depends
    /// only on <see cref="Seed"/> and <paramref name="epoch"/>.
    /// </summary>
    /// <remarks>Start one epoch at a time: starting another reorders the rows that an unfinished one is visiting.</remarks>
    public BatchEpoch<T> Epoch(int epoch)
    {
        for (int i = 0; i < _order.Length; i++)
            _order[i] = i;
        if (Seed is int seed)
        {
            // Fisher–Yates from a Random seeded by (seed, epoch): seeded System.Random is stable across .NET versions.
            var random = new Random(HashCode32(seed, epoch));
            for (int i = _order.Length - 1; i > 0; i--)
            {
                int j = random.Next(i + 1);
                (_order[i], _order[j]) = (_order[j], _order[i]);
            }
        }
        return new BatchEpoch<T>(this);
    }

    /// <summary>The row indices (into the data set) that batch <paramref name="index"/> of the current epoch holds.</summary>
    public ReadOnlySpan<int> RowsOf(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        int start = index * BatchSize;
        return _order.AsSpan(start, Math.Min(BatchSize, RowsPerEpoch - start));
    }

    /// <summary>Copies batch <paramref name="index"/> of the current epoch into the reusable matrices.</summary>
    internal Batch<T> Fill(int index)
    {
        var rows = RowsOf(index);
        bool full = rows.Length == BatchSize;
        var features = full ? _fullFeatures : _remainderFeatures!;
        var labels = full ? _fullLabels : _remainderLabels;
        for (int i = 0; i < rows.Length; i++)
        {
            _features.Row(rows[i]).CopyTo(features.Row(i));
            if (labels is not null)
                labels[i] = _labels![rows[i]];
        }
        return new Batch<T>(index, features, labels);
    }

    /// <summary>A 32-bit seed from (seed, epoch), different for neighbouring epochs and seeds.</summary>
    private static int HashCode32(int seed, int epoch)
    {
        unchecked
        {
            uint h = (uint)seed * 0x9E3779B1u ^ (uint)epoch * 0x85EBCA77u;
            h ^= h >> 15;
            h *= 0x2C1B3C6Du;
            h ^= h >> 12;
            return (int)(h & 0x7FFFFFFF);
        }
    }
}

/// <summary>What <see cref="Batches{T}"/> does with the last batch when the rows do not divide into whole batches.</summary>
public enum LastBatch
{
    /// <summary>Yield it, with fewer rows than a full batch.</summary>
    Keep,

    /// <summary>Skip it (its rows are not visited that epoch; another epoch's order visits them).</summary>
    Drop,
}

/// <summary>One mini-batch: reusable matrices owned by the <see cref="Batches{T}"/> that yields it.</summary>
/// <param name="Index">The batch's position in its epoch, from 0.</param>
/// <param name="Features">The batch's rows, [rows, features].</param>
/// <param name="Labels">The batch's labels (one per row), or <see langword="null"/> for a features-only data set.</param>
public readonly record struct Batch<T>(int Index, Matrix<T> Features, int[]? Labels)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rows in this batch.</summary>
    public int Rows => Features.Rows;
}

/// <summary>
/// The batches of one epoch, for <c>foreach</c>: a struct enumerable whose enumerator allocates nothing.
/// </summary>
public readonly struct BatchEpoch<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Batches<T> _batches;

    internal BatchEpoch(Batches<T> batches) => _batches = batches;

    /// <summary>Batches in this epoch.</summary>
    public int Count => _batches.Count;

    /// <summary>Returns the enumerator (a struct: <c>foreach</c> allocates nothing).</summary>
    public Enumerator GetEnumerator() => new(_batches);

    /// <summary>Copies each batch's rows into the reusable matrices as it is reached.</summary>
    public struct Enumerator
    {
        private readonly Batches<T> _batches;
        private int _index;

        internal Enumerator(Batches<T> batches)
        {
            _batches = batches;
            _index = -1;
            Current = default;
        }

        /// <summary>The current batch.</summary>
        public Batch<T> Current { get; private set; }

        /// <summary>Moves to the next batch, copying its rows.</summary>
        public bool MoveNext()
        {
            if (_batches is null || _index + 1 >= _batches.Count)
                return false;
            _index++;
            Current = _batches.Fill(_index);
            return true;
        }
    }
}
