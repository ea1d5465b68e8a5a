using System.Runtime.ExceptionServices;

namespace MePropNative.Backends;

/// <summary>Element-wise work over [start, start + count) of a range: one call per piece.</summary>
internal interface IPieceWork
{
    void Run(int start, int count);
}

/// <summary>
/// Splits element-wise work over a range into one piece per thread: the calling thread runs the first piece, dedicated
/// background workers (started on first use, then parked on an event) run the others. Pieces are whole 64-element
/// blocks, so vector loops take the same path for every element as in one piece. Nothing is allocated once the workers
/// exist (a training step stays allocation-free, and the thread pool's queues are not involved); ranges from several
/// threads run one after another.
/// </summary>
internal sealed class ParallelPieces
{
    public static ParallelPieces Shared { get; } = new();

    private sealed class Worker
    {
        private readonly ParallelPieces owner;
        private readonly int piece;
        public readonly ManualResetEventSlim Start = new(false);

        public Worker(ParallelPieces owner, int piece)
        {
            this.owner = owner;
            this.piece = piece;
            new Thread(Loop) { IsBackground = true, Name = $"meprop update {piece}" }.Start();
        }

        private void Loop()
        {
            while (true)
            {
                Start.Wait();
                Start.Reset();
                owner.RunWorkerPiece(piece);
            }
        }
    }

    private readonly Lock gate = new();
    private readonly ManualResetEventSlim done = new(false);
    private Worker?[] workers = [];
    private IPieceWork? work;
    private int length, pieceLength, pending;
    private Exception? failure;

    /// <summary>Runs work over [0, length) in up to <paramref name="threads"/> pieces; in one piece on the calling thread
    /// below <paramref name="minParallelLength"/> elements.</summary>
    public void Run(int length, int threads, int minParallelLength, IPieceWork work)
    {
        int piece = threads <= 1 || length < minParallelLength ? length : (length / threads + 63) & ~63;
        int pieces = piece == 0 ? 1 : (length + piece - 1) / piece;
        if (pieces <= 1)
        {
            work.Run(0, length);
            return;
        }
        lock (gate)
        {
            if (workers.Length < pieces) Array.Resize(ref workers, pieces);
            for (int p = 1; p < pieces; p++) workers[p] ??= new Worker(this, p);
            this.work = work;
            this.length = length;
            pieceLength = piece;
            failure = null;
            pending = pieces - 1;
            done.Reset();
            for (int p = 1; p < pieces; p++) workers[p]!.Start.Set();
            try
            {
                RunPiece(0);
            }
            finally
            {
                done.Wait();
                this.work = null;
            }
            if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
        }
    }

    private void RunPiece(int piece)
    {
        int start = piece * pieceLength;
        work!.Run(start, Math.Min(pieceLength, length - start));
    }

    private void RunWorkerPiece(int piece)
    {
        try
        {
            RunPiece(piece);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref failure, e, null);
        }
        finally
        {
            if (Interlocked.Decrement(ref pending) == 0) done.Set();
        }
    }
}
