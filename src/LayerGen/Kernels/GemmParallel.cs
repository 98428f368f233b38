using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace LayerGen;

/// <summary>
/// Splits large products over the cores with a small persistent worker pool. The caller computes part 0 itself,
/// and every part a worker has not started by then, so a product never returns before every part is written and
/// never waits for a worker that the machine has not scheduled.
/// </summary>
/// <remarks>
/// <para>
/// Why not <c>Parallel.For</c>: it allocates a little on every call (closures, loop state, tasks) and pays a
/// thread-pool wake-up each time, and the contract is that steady-state training steps allocate nothing. The pool
/// is created on the first large product (a one-time allocation); afterwards a call allocates nothing. The job
/// lives on the caller's stack and the work is a function pointer, so nothing is boxed.
/// </para>
/// <para>
/// Hand-off: the caller offers part w + 1 to worker w by writing the product's generation into the worker's
/// <c>Offer</c>; the worker accepts it by swapping in the negated generation, runs the part and then publishes
/// the generation as <c>Done</c>. When the caller has finished its own part it withdraws every offer not yet
/// accepted (the same swap, to 0) and runs those parts itself; it waits only for parts a worker accepted. So on a
/// machine whose cores other processes also use, a worker that is not running when the product starts costs
/// nothing but the work it would have taken, instead of stalling the product until it is scheduled. A worker that
/// finished a part polls for the next offer for <see cref="SpinMicroseconds"/> (back-to-back products, the common
/// case in training, start without a kernel wake-up), and only then blocks on its semaphore; the caller releases
/// the semaphore only when the worker said it was going to sleep.
/// </para>
/// <para>
/// A part may therefore run after another part of the same product has finished, or on the same thread: parts
/// must not wait for each other to arrive. Parts that share work (the row split's packed op(B)) claim it from
/// counters in the job and wait only for work another part has claimed and not yet finished.
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

    /// <summary>
    /// For tests, per calling thread: the caller offers nothing and runs all the parts itself, one after another in
    /// order, as when no worker gets a core in time.
    /// </summary>
    internal static bool WithdrawOffers
    {
        get => t_withdrawOffers;
        set => t_withdrawOffers = value;
    }

    [ThreadStatic] private static bool t_withdrawOffers;

    /// <summary>One worker's mailbox.</summary>
    private sealed class Worker
    {
        public int Offer;     // the generation offered by the caller; its negation once accepted; 0 when withdrawn
        public int Done;      // the generation of the last part this worker finished
        public int Sleeping;  // 1 while the worker is (about to be) blocked on Wake
        public readonly SemaphoreSlim Wake = new(0);
    }

    private static int s_owner;           // 1 while a product holds the pool
    private static Worker[] s_workers = [];
    private static byte[]? s_shared;      // the shared packing buffer of the product that holds the pool
    private static delegate*<void*, int, int, void> s_work;
    private static void* s_job;
    private static int s_parts;
    private static int s_generation;

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
    /// Runs <paramref name="work"/>(job, part, parts) for every part, part 0 on the calling thread (and any part no
    /// worker accepted in time), and returns when all are done. The caller must hold the pool (<see cref="TryAcquire"/>).
    /// </summary>
    public static void Run(delegate*<void*, int, int, void> work, void* job, int parts)
    {
        if (WithdrawOffers)
        {
            for (int part = 0; part < parts; part++)
                work(job, part, parts);
            return;
        }
        var workers = EnsureWorkers(parts - 1);
        int generation = s_generation = s_generation == int.MaxValue ? 1 : s_generation + 1;
        s_work = work;
        s_job = job;
        s_parts = parts;
        for (int w = 0; w < parts - 1; w++)
        {
            var worker = workers[w];
            Interlocked.Exchange(ref worker.Offer, generation); // a full fence: the job fields above are visible first
            if (Interlocked.Exchange(ref worker.Sleeping, 0) == 1)
                worker.Wake.Release();
        }
        try
        {
            work(job, 0, parts);
        }
        finally
        {
            // Parts still on offer are this thread's; then wait for the parts workers accepted (even if a part failed:
            // they read the job on this stack frame).
            Exception? failure = null;
            try
            {
                RunWithdrawn(work, job, parts, workers, generation);
            }
            catch (Exception e)
            {
                failure = e;
            }
            for (int w = 0; w < parts - 1; w++)
            {
                var worker = workers[w];
                var spinner = new SpinWait();
                while (Volatile.Read(ref worker.Done) != generation && Volatile.Read(ref worker.Offer) == -generation)
                    spinner.SpinOnce(sleep1Threshold: -1);
            }
            if (failure is not null)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>
    /// Runs every part of a job whose parts are independent of each other: on the pool when it is free, otherwise
    /// (another caller holds it, or one part) all on this thread, in order. Either way the same parts are computed.
    /// </summary>
    public static void RunParts(delegate*<void*, int, int, void> work, void* job, int parts)
    {
        if (parts > 1 && TryAcquire())
        {
            try
            {
                Run(work, job, parts);
            }
            finally
            {
                Release();
            }
            return;
        }
        for (int part = 0; part < parts; part++)
            work(job, part, parts);
    }

    /// <summary>Withdraws every offer of <paramref name="generation"/> not yet accepted and runs those parts here.</summary>
    private static void RunWithdrawn(delegate*<void*, int, int, void> work, void* job, int parts, Worker[] workers, int generation)
    {
        for (int w = 0; w < parts - 1; w++)
        {
            if (Interlocked.CompareExchange(ref workers[w].Offer, 0, generation) == generation)
                work(job, w + 1, parts);
        }
    }

    /// <summary>
    /// Claims the next item below <paramref name="end"/> from <paramref name="counter"/>: true with the item in
    /// <paramref name="item"/>, false once the items up to <paramref name="end"/> are all claimed (the counter is
    /// never moved past it, so the items after it stay for their own stage).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryClaim(int* counter, int end, out int item)
    {
        while (true)
        {
            int seen = Volatile.Read(ref *counter);
            if (seen >= end)
            {
                item = -1;
                return false;
            }
            if (Interlocked.CompareExchange(ref *counter, seen + 1, seen) == seen)
            {
                item = seen;
                return true;
            }
        }
    }

    /// <summary>
    /// The guided share of <paramref name="left"/> items for <paramref name="parts"/> parts: a 2·parts-th, rounded up (at
    /// least 1). Both the GEMM's row runs (<see cref="TryClaimGuided"/>) and the convolution's image ranges take it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GuidedShare(int left, int parts) => Math.Max(1, (left + 2 * parts - 1) / (2 * parts));

    /// <summary>
    /// Claims the next run of items below <paramref name="end"/> from <paramref name="counter"/>, guided: a share of
    /// what is left (a 2·<paramref name="parts"/>-th, at least 1, at most <paramref name="most"/>), so runs start large
    /// and shrink to single items at the end and the parts finish close together. False once the items up to
    /// <paramref name="end"/> are all claimed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryClaimGuided(int* counter, int end, int most, int parts, out int first, out int count)
    {
        while (true)
        {
            int seen = Volatile.Read(ref *counter);
            if (seen >= end)
            {
                first = -1;
                count = 0;
                return false;
            }
            int take = Math.Min(GuidedShare(end - seen, parts), most);
            if (Interlocked.CompareExchange(ref *counter, seen + take, seen) == seen)
            {
                first = seen;
                count = take;
                return true;
            }
        }
    }

    /// <summary>Waits until both counters have reached their targets (work other parts claimed and are finishing).</summary>
    public static void WaitFor(int* first, int firstTarget, int* second, int secondTarget)
    {
        if (Volatile.Read(ref *first) >= firstTarget && Volatile.Read(ref *second) >= secondTarget)
            return;
        var spinner = new SpinWait();
        while (Volatile.Read(ref *first) < firstTarget || Volatile.Read(ref *second) < secondTarget)
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
            // Spin, then block, until the caller offers a part of a product this worker has not seen.
            long start = Stopwatch.GetTimestamp();
            int polls = 0;
            int offer;
            while ((offer = Volatile.Read(ref worker.Offer)) <= 0 || offer == seen)
            {
                if ((++polls & 15) != 0 || Stopwatch.GetTimestamp() - start < spinTicks)
                {
                    Thread.SpinWait(16);
                    continue;
                }
                Interlocked.Exchange(ref worker.Sleeping, 1); // a full fence before the offer is read again
                offer = Volatile.Read(ref worker.Offer);
                if (offer > 0 && offer != seen)
                {
                    // An offer arrived meanwhile. If the caller already took the flag it also released the
                    // semaphore: consume that release so the next sleep really blocks.
                    if (Interlocked.Exchange(ref worker.Sleeping, 0) == 0)
                        worker.Wake.Wait();
                    break;
                }
                worker.Wake.Wait();
                start = Stopwatch.GetTimestamp();
                polls = 0;
            }
            seen = offer;
            // Accept, unless the caller withdrew the offer meanwhile (it then runs the part itself).
            if (Interlocked.CompareExchange(ref worker.Offer, -offer, offer) != offer)
                continue;
            try
            {
                s_work(s_job, part, s_parts);
            }
            finally
            {
                Volatile.Write(ref worker.Done, offer);
            }
        }
    }
}
