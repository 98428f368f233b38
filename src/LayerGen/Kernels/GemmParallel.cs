namespace LayerGen;

/// <summary>
/// Splits large products over the cores with a small persistent worker pool. The caller computes part 0 itself
/// and waits for the others, so a product never returns before every part is written.
/// </summary>
/// <remarks>
/// Why not <c>Parallel.For</c>: it allocates a little on every call (closures, loop state, tasks), and the
/// contract is that steady-state training steps allocate nothing. The pool is created on the first large product
/// (a one-time allocation); afterwards a call allocates nothing. The job lives on the caller's stack and the
/// work is a function pointer, so nothing is boxed. If another thread is already using the pool, the product
/// runs single-threaded instead of waiting (no deadlock with nested or concurrent callers).
/// </remarks>
internal static unsafe class GemmParallel
{
    /// <summary>Products with fewer multiply-adds (m·n·k) than this run on one thread: waking a worker costs
    /// microseconds, comparable to the whole product below it.</summary>
    internal const long Threshold = 96L * 96 * 96;

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

    private static readonly object s_gate = new();
    private static SemaphoreSlim[]? s_start;
    private static readonly ManualResetEventSlim s_done = new(false, spinCount: 2000);
    private static delegate*<void*, int, int, void> s_work;
    private static void* s_job;
    private static int s_parts;
    private static int s_pending;

    /// <summary>How many parts to split a product into, and along which dimension of C.</summary>
    public static int ChooseParts(int m, int n, int k, int mr, int nr, out bool splitRows)
    {
        // Split the larger dimension of C: the operand whose panels every part packs again is then the smaller one.
        int rowTiles = (m + mr - 1) / mr, colTiles = (n + nr - 1) / nr;
        splitRows = rowTiles > colTiles;
        int threads = MaxThreads > 0 ? MaxThreads : Environment.ProcessorCount;
        if (threads <= 1 || (long)m * n * k < Threshold)
            return 1;
        return Math.Min(threads, splitRows ? rowTiles : colTiles);
    }

    /// <summary>Runs <paramref name="work"/>(job, part, parts) for every part, part 0 on the calling thread.</summary>
    public static void Run(delegate*<void*, int, int, void> work, void* job, int parts)
    {
        if (!Monitor.TryEnter(s_gate))
        {
            // The pool is busy with another caller's product: do all the work here.
            for (int p = 0; p < parts; p++)
                work(job, p, parts);
            return;
        }
        try
        {
            var start = EnsureWorkers(parts - 1);
            s_work = work;
            s_job = job;
            s_parts = parts;
            s_pending = parts - 1;
            s_done.Reset();
            for (int w = 0; w < parts - 1; w++)
                start[w].Release();
            try
            {
                work(job, 0, parts);
            }
            finally
            {
                // Even if this part failed, the workers still read the job on this stack frame: wait for them.
                s_done.Wait();
            }
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
    }

    private static SemaphoreSlim[] EnsureWorkers(int count)
    {
        var start = s_start;
        if (start is not null && start.Length >= count)
            return start;
        // Grow (rare: the first large product, or more threads allowed later). Old workers keep their semaphores.
        var grown = new SemaphoreSlim[count];
        int existing = start?.Length ?? 0;
        if (start is not null)
            Array.Copy(start, grown, existing);
        for (int w = existing; w < count; w++)
        {
            var semaphore = new SemaphoreSlim(0);
            grown[w] = semaphore;
            int part = w + 1;
            var thread = new Thread(() => WorkerLoop(semaphore, part))
            {
                IsBackground = true,
                Name = $"LayerGen GEMM worker {part}",
            };
            thread.Start();
        }
        s_start = grown;
        return grown;
    }

    private static void WorkerLoop(SemaphoreSlim start, int part)
    {
        while (true)
        {
            start.Wait();
            try
            {
                s_work(s_job, part, s_parts);
            }
            finally
            {
                if (Interlocked.Decrement(ref s_pending) == 0)
                    s_done.Set();
            }
        }
    }
}
