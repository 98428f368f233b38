using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace LayerGen;

/// <summary>
/// Splits large products over the cores with a small persistent worker pool. The caller computes part 0 itself
/// and waits for the others, so a product never returns before every part is written.
/// </summary>
/// <remarks>
/// <para>
/// Why not <c>Parallel.For</c>: it allocates a little on every call (closures, loop state, tasks) and pays a
/// thread-pool wake-up each time, and the contract is that steady-state training steps allocate nothing. The pool
/// is created on the first large product (a one-time allocation); afterwards a call allocates nothing. The job
/// lives on the caller's stack and the work is a function pointer, so nothing is boxed.
/// </para>
/// <para>
/// Hand-off: each worker has a ticket the caller increments to give it a part. A worker that finished a part
/// spins on its ticket for <see cref="SpinMicroseconds"/> (back-to-back products, the common case in training,
/// then start without a kernel wake-up), and only then blocks on its semaphore; the caller releases the semaphore
/// only when the worker said it was going to sleep. The caller waits for the parts by spinning too (yielding
/// the core when the wait gets long). Parts of one product meet at <see cref="Barrier"/> (a sense-reversing
/// spin barrier) to share packed panels.
/// </para>
/// <para>
/// Only one product uses the pool at a time: a caller that finds it taken (<see cref="TryAcquire"/> fails) runs
/// its product single-threaded instead of waiting, so nested or concurrent callers cannot deadlock.
/// </para>
/// </remarks>
internal static unsafe class GemmParallel
{
    /// <summary>Products with fewer multiply-adds (m·n·k) than this run on one thread: waking a worker costs
    /// microseconds, comparable to the whole product below it.</summary>
    internal const long Threshold = 96L * 96 * 96;

    /// <summary>How long an idle worker polls for its next part before it blocks.</summary>
    internal const int SpinMicroseconds = 200;

    /// <summary>
    /// Per calling thread, for tests: the most threads a product may use (0 means
    /// <see cref="Environment.ProcessorCount"/>), so the split is exercised even on a one-core machine.
    /// </summary>
    internal static int MaxThreads
    {
        get => t_maxThreads;
        set => t_maxThreads = value;
    }

    [ThreadStatic] private static int t_maxThreads;

    /// <summary>One worker's mailbox.</summary>
    private sealed class Worker
    {
        public int Ticket;    // incremented by the caller to hand over a part
        public int Sleeping;  // 1 while the worker is (about to be) blocked on Wake
        public readonly SemaphoreSlim Wake = new(0);
    }

    private static int s_owner;           // 1 while a product holds the pool
    private static Worker[] s_workers = [];
    private static byte[]? s_shared;      // the shared packing buffer of the product that holds the pool
    private static delegate*<void*, int, int, void> s_work;
    private static void* s_job;
    private static int s_parts;
    private static int s_pending;
    private static int s_arrived;
    private static int s_phase;

    /// <summary>How many parts to split a product into, and along which dimension of C.</summary>
    public static int ChooseParts(int m, int n, int k, int mr, int nr, out bool splitRows)
    {
        // Split the larger dimension of C: the row split shares one packed op(B) between the parts; the column
        // split (wide, short products) has every part pack the small op(A) again.
        int rowTiles = (m + mr - 1) / mr, colTiles = (n + nr - 1) / nr;
        splitRows = rowTiles > colTiles;
        int threads = MaxThreads > 0 ? MaxThreads : Environment.ProcessorCount;
        if (threads <= 1 || (long)m * n * k < Threshold)
            return 1;
        return Math.Min(threads, splitRows ? rowTiles : colTiles);
    }

    /// <summary>Takes the pool for one product; false when another caller holds it.</summary>
    public static bool TryAcquire() => Interlocked.CompareExchange(ref s_owner, 1, 0) == 0;

    /// <summary>Gives the pool back after <see cref="Run"/>.</summary>
    public static void Release() => Volatile.Write(ref s_owner, 0);

    /// <summary>
    /// A 64-byte-aligned buffer of at least <paramref name="bytes"/> bytes, shared by the parts of the product that
    /// holds the pool (only valid between <see cref="TryAcquire"/> and <see cref="Release"/>). Pinned, grown only
    /// when a larger product needs it.
    /// </summary>
    public static void* SharedBuffer(long bytes)
    {
        bytes += 64;
        var buffer = s_shared;
        if (buffer is null || buffer.Length < bytes)
            s_shared = buffer = GC.AllocateUninitializedArray<byte>(checked((int)Math.Max(bytes, 256 * 1024)), pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref buffer[0]);
        return (void*)((address + 63) & ~(nint)63);
    }

    /// <summary>
    /// Runs <paramref name="work"/>(job, part, parts) for every part, part 0 on the calling thread, and returns
    /// when all are done. The caller must hold the pool (<see cref="TryAcquire"/>).
    /// </summary>
    public static void Run(delegate*<void*, int, int, void> work, void* job, int parts)
    {
        var workers = EnsureWorkers(parts - 1);
        s_work = work;
        s_job = job;
        s_parts = parts;
        s_arrived = 0;
        Volatile.Write(ref s_pending, parts - 1);
        for (int w = 0; w < parts - 1; w++)
        {
            var worker = workers[w];
            Interlocked.Increment(ref worker.Ticket); // a full fence: the job fields above are visible first
            if (Interlocked.Exchange(ref worker.Sleeping, 0) == 1)
                worker.Wake.Release();
        }
        try
        {
            work(job, 0, parts);
        }
        finally
        {
            // Even if this part failed, the workers still read the job on this stack frame: wait for them.
            var spinner = new SpinWait();
            while (Volatile.Read(ref s_pending) != 0)
                spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>
    /// Waits until all <paramref name="parts"/> parts of the running product have called it. Only for the parts of
    /// a product started by <see cref="Run"/> (with one part it returns at once).
    /// </summary>
    /// <param name="parts">The number of parts of the product.</param>
    /// <param name="resetByLast">Set to 0 by the last part to arrive, before the others are released.</param>
    public static void Barrier(int parts, int* resetByLast)
    {
        if (parts <= 1)
        {
            *resetByLast = 0;
            return;
        }
        int phase = Volatile.Read(ref s_phase);
        if (Interlocked.Increment(ref s_arrived) == parts)
        {
            // Last to arrive: reset the count before releasing the others (they cannot arrive again until then).
            *resetByLast = 0;
            s_arrived = 0;
            Volatile.Write(ref s_phase, phase + 1);
            return;
        }
        var spinner = new SpinWait();
        while (Volatile.Read(ref s_phase) == phase)
            spinner.SpinOnce(sleep1Threshold: -1);
    }

    private static Worker[] EnsureWorkers(int count)
    {
        var workers = s_workers;
        if (workers.Length >= count)
            return workers;
        // Grow (rare: the first large product, or more threads allowed later). Old workers keep their mailboxes.
        var grown = new Worker[count];
        Array.Copy(workers, grown, workers.Length);
        for (int w = workers.Length; w < count; w++)
        {
            var worker = new Worker();
            grown[w] = worker;
            int part = w + 1;
            var thread = new Thread(() => WorkerLoop(worker, part))
            {
                IsBackground = true,
                Name = $"LayerGen GEMM worker {part}",
            };
            thread.Start();
        }
        s_workers = grown;
        return grown;
    }

    private static void WorkerLoop(Worker worker, int part)
    {
        long spinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
        int seen = 0;
        while (true)
        {
            // Spin, then block, until the caller hands over the next part.
            long start = Stopwatch.GetTimestamp();
            int polls = 0;
            while (Volatile.Read(ref worker.Ticket) == seen)
            {
                if ((++polls & 15) != 0 || Stopwatch.GetTimestamp() - start < spinTicks)
                {
                    Thread.SpinWait(16);
                    continue;
                }
                Interlocked.Exchange(ref worker.Sleeping, 1); // a full fence before the ticket is read again
                if (Volatile.Read(ref worker.Ticket) != seen)
                {
                    // The part arrived meanwhile. If the caller already took the flag it also released the
                    // semaphore: consume that release so the next sleep really blocks.
                    if (Interlocked.Exchange(ref worker.Sleeping, 0) == 0)
                        worker.Wake.Wait();
                    break;
                }
                worker.Wake.Wait();
                break;
            }
            seen = Volatile.Read(ref worker.Ticket);
            try
            {
                s_work(s_job, part, s_parts);
            }
            finally
            {
                Interlocked.Decrement(ref s_pending);
            }
        }
    }
}
