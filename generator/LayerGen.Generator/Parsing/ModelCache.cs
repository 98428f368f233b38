using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Threading;
using LayerGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace LayerGen.Generator.Parsing;

/// <summary>
/// Serves the previous <see cref="ForwardMethodModel"/> of a <c>[Forward]</c> method without binding its body when a
/// dependency key proves that nothing the model was computed from has changed (issue 7, item 6: an IDE keystroke in
/// another method's body must not rebind all 200 layers).
/// </summary>
/// <remarks>
/// <para>What a model is a function of, and how the key covers it:</para>
/// <list type="bullet">
/// <item><b>Every declaration of the compilation</b> (types, members, signatures, attributes, field and parameter
/// initializers, usings and global usings, namespaces, extension methods, partial parts, base types: everything name
/// lookup, overload resolution and the parser's symbol reads see). The surface of each tree is its tokens and its
/// trivia but whitespace and line ends (comments, directives, disabled text stay) with the
/// member-level bodies (method, constructor, operator and accessor bodies, expression bodies) cut out, each replaced
/// by a marker of its kind; a body is cut out only when nothing outside it can depend on its text (no
/// preprocessor directive inside it, no <c>field</c> keyword in an accessor, not in a type with a primary constructor,
/// whose parameters a body can capture). The compilation key hashes every tree's surface (path and parse options
/// included, in tree order), the compilation options and each metadata reference (by object identity: Roslyn itself
/// reuses a reference's symbols by identity), and the assembly name.</item>
/// <item><b>The bodies the parse read</b>: the method's own body, the getters of computed properties it inlined and the
/// bodies of the <c>[Forward]</c> callees it parsed for their facts (recorded by <see cref="BodyReads"/>, nested calls
/// included). Each is keyed by its position among the tree's cut-out bodies (the same member, because the surfaces are
/// equal), its first line (the model holds line numbers, never offsets) and a hash of its exact text. A read that is not
/// inside a cut-out body depends on its whole tree's text.</item>
/// </list>
/// <para>So an edit inside a body the method did not read (the common keystroke) hits the cache; an edit of any
/// declaration anywhere, of a read body, of a line count above a read body in its file, of options or references
/// misses it, and the method is bound and parsed as before. Hashes are SHA-256; a parse that threw, was cancelled or
/// read a tree outside the compilation is never stored.</para>
/// <para>Static state: one table of entries per compilation key, at most <see cref="MaxGenerations"/> keys (least
/// recently used dropped); an entry holds hashes and the equatable model, never a compilation, tree, node or symbol.
/// Per-compilation and per-tree facts live in <see cref="ConditionalWeakTable{TKey,TValue}"/>s keyed by those objects,
/// so they die with them. Safe under concurrent generator runs.</para>
/// </remarks>
internal static class ModelCache
{
    /// <summary>How many compilation keys keep their entries (multi-targeted projects use one key per target).</summary>
    public const int MaxGenerations = 4;

    /// <summary>Benchmarks only: switches the cache off (every method is bound, as before the cache).</summary>
    internal static volatile bool Enabled = true;

    /// <summary>Tests only: when set, counts the method bodies bound by the generator's transform per assembly name.</summary>
    internal static ConcurrentDictionary<string, int>? BindingsByAssembly;

    private static readonly ConditionalWeakTable<SyntaxTree, TreeFacts> TreeCache = new();
    private static readonly ConditionalWeakTable<Compilation, Lazy<CompilationFacts?>> CompilationCache = new();
    private static readonly ConditionalWeakTable<object, object> Identities = new();
    private static long _nextIdentity;

    private static readonly object GenerationsLock = new();
    private static readonly LinkedList<(Digest Key, ConcurrentDictionary<long, Entry> Entries)> Generations = new();

    /// <summary>
    /// The transform with the cache: the model stored for <paramref name="syntax"/> when every dependency is unchanged,
    /// else <paramref name="parse"/> (which binds the body and records what it read) and the result stored.
    /// </summary>
    public static ForwardMethodModel? GetOrParse(Compilation compilation, MethodDeclarationSyntax syntax, SyntaxNode? bodyNode,
        Func<BodyReads?, ForwardMethodModel?> parse, CancellationToken cancellationToken)
    {
        if (!Enabled || bodyNode is null || Facts(compilation, cancellationToken) is not { } facts || facts.Resolve(bodyNode) is not { } own)
            return Bound(compilation, parse, null);
        cancellationToken.ThrowIfCancellationRequested();

        var entries = facts.Entries;
        long slot = own.Slot(bodyNode);
        if (entries.TryGetValue(slot, out var entry) && entry.Own == own && facts.AllCurrent(entry.Reads))
            return entry.Model;

        var reads = new BodyReads();
        var model = Bound(compilation, parse, reads);
        if (reads.IsUnreadable)
            return model;
        var dependencies = new List<Dependency>(reads.Nodes.Count);
        foreach (var node in reads.Nodes)
        {
            if (facts.Resolve(node) is not { } dependency)
                return model;
            if (dependency != own && !dependencies.Contains(dependency))
                dependencies.Add(dependency);
        }
        entries[slot] = new Entry(own, dependencies.ToArray(), model);
        return model;
    }

    private static ForwardMethodModel? Bound(Compilation compilation, Func<BodyReads?, ForwardMethodModel?> parse, BodyReads? reads)
    {
        BindingsByAssembly?.AddOrUpdate(compilation.AssemblyName ?? "", 1, static (_, n) => n + 1);
        return parse(reads);
    }

    /// <summary>The compilation's key and tree facts, computed once per compilation; null when it cannot be keyed.</summary>
    private static CompilationFacts? Facts(Compilation compilation, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var lazy = CompilationCache.GetValue(compilation, static c => new Lazy<CompilationFacts?>(() => CompilationFacts.Create(c), LazyThreadSafetyMode.ExecutionAndPublication));
        return lazy.Value;
    }

    /// <summary>A number unique to <paramref name="value"/> for its lifetime (never reused).</summary>
    private static long IdentityOf(object value) =>
        (long)Identities.GetValue(value, static _ => Interlocked.Increment(ref _nextIdentity));

    /// <summary>The entry table of a compilation key (created, or moved to the front as most recently used).</summary>
    private static ConcurrentDictionary<long, Entry> GenerationOf(Digest key)
    {
        lock (GenerationsLock)
        {
            for (var node = Generations.First; node is not null; node = node.Next)
            {
                if (node.Value.Key == key)
                {
                    Generations.Remove(node);
                    Generations.AddFirst(node);
                    return node.Value.Entries;
                }
            }
            var entries = new ConcurrentDictionary<long, Entry>();
            Generations.AddFirst((key, entries));
            while (Generations.Count > MaxGenerations)
                Generations.RemoveLast();
            return entries;
        }
    }

    /// <summary>Benchmarks only: computes the compilation key (re-hashing only the trees not seen before); false when none.</summary>
    internal static bool Prepare(Compilation compilation) => Facts(compilation, CancellationToken.None) is not null;

    /// <summary>Benchmarks only: the declaration surfaces of <paramref name="trees"/> from scratch; the number of bodies cut out.</summary>
    internal static int HashSurfaces(IEnumerable<SyntaxTree> trees)
    {
        int bodies = 0;
        foreach (var tree in trees)
            bodies += TreeFacts.Create(tree).Bodies.Length;
        return bodies;
    }

    /// <summary>Tests only: how many compilation keys hold entries.</summary>
    internal static int GenerationCount
    {
        get
        {
            lock (GenerationsLock)
                return Generations.Count;
        }
    }

    /// <summary>A stored model and the dependencies it was computed from (hashes only).</summary>
    private sealed record Entry(Dependency Own, Dependency[] Reads, ForwardMethodModel? Model);

    /// <summary>
    /// One read of source text: a cut-out body (<see cref="Ordinal"/> ≥ 0: its index among the tree's cut-out bodies,
    /// its first line and the hash of its text) or a whole tree (<see cref="Ordinal"/> = −1: the hash of its text).
    /// </summary>
    private readonly record struct Dependency(int Tree, int Ordinal, int Line, Digest Text)
    {
        /// <summary>The entry slot of a method whose own body this is.</summary>
        public long Slot(SyntaxNode body) => ((long)Tree << 32) | (uint)(Ordinal >= 0 ? Ordinal : int.MinValue | body.SpanStart);
    }

    /// <summary>A compilation's key, its trees' facts and the entry table of that key.</summary>
    private sealed class CompilationFacts
    {
        private readonly IReadOnlyList<SyntaxTree> _syntaxTrees;
        private readonly TreeFacts[] _trees;
        private readonly Dictionary<SyntaxTree, int> _index;

        private CompilationFacts(IReadOnlyList<SyntaxTree> syntaxTrees, TreeFacts[] trees, Dictionary<SyntaxTree, int> index, ConcurrentDictionary<long, Entry> entries)
        {
            _syntaxTrees = syntaxTrees;
            _trees = trees;
            _index = index;
            Entries = entries;
        }

        public ConcurrentDictionary<long, Entry> Entries { get; }

        public static CompilationFacts? Create(Compilation compilation)
        {
            if (compilation.ScriptCompilationInfo is not null)
                return null;
            try
            {
                using var hasher = new Hasher();
                hasher.Append("LayerGen.ModelCache/1");
                hasher.Append(compilation.AssemblyName ?? "\0");
                hasher.Append(IdentityOf(compilation.Options));
                foreach (var reference in compilation.References)
                    hasher.Append(IdentityOf(reference));
                var all = compilation.SyntaxTrees as IReadOnlyList<SyntaxTree> ?? new List<SyntaxTree>(compilation.SyntaxTrees);
                var trees = new TreeFacts[all.Count];
                var index = new Dictionary<SyntaxTree, int>();
                int i = 0;
                foreach (var tree in all)
                {
                    var facts = TreeCache.GetValue(tree, static t => TreeFacts.Create(t));
                    hasher.Append(i);
                    hasher.Append(facts.Surface);
                    trees[i] = facts;
                    index[tree] = i++;
                }
                return new CompilationFacts(all, trees, index, GenerationOf(hasher.Finish()));
            }
            catch (Exception)
            {
                // No key (SHA-256 refused under a FIPS policy, a tree that cannot be read): no cache, every method is bound.
                return null;
            }
        }

        /// <summary>The dependency a read of <paramref name="node"/> creates, or null when its tree is not this compilation's.</summary>
        public Dependency? Resolve(SyntaxNode node)
        {
            if (!_index.TryGetValue(node.SyntaxTree, out int tree))
                return null;
            var facts = _trees[tree];
            int ordinal = facts.BodyContaining(node.Span);
            return ordinal >= 0
                ? new Dependency(tree, ordinal, facts.Bodies[ordinal].Line, facts.Bodies[ordinal].Text)
                : new Dependency(tree, -1, 0, facts.Full(_syntaxTrees[tree]));
        }

        /// <summary>Every dependency still reads the same text (at the same line) in this compilation.</summary>
        public bool AllCurrent(Dependency[] reads)
        {
            foreach (var read in reads)
            {
                if (read.Tree >= _trees.Length)
                    return false;
                var facts = _trees[read.Tree];
                if (read.Ordinal < 0 ? facts.Full(_syntaxTrees[read.Tree]) != read.Text
                    : read.Ordinal >= facts.Bodies.Length || facts.Bodies[read.Ordinal].Line != read.Line || facts.Bodies[read.Ordinal].Text != read.Text)
                    return false;
            }
            return true;
        }
    }

    /// <summary>A cut-out body: its span, first line (0-based) and the hash of its text.</summary>
    private readonly record struct BodyFacts(int Start, int End, int Line, Digest Text);

    /// <summary>One tree's declaration surface, the hash of its full text and its cut-out bodies in document order.</summary>
    private sealed class TreeFacts
    {
        private readonly object _lock = new();
        private Digest? _full;

        private TreeFacts(Digest surface, BodyFacts[] bodies)
        {
            Surface = surface;
            Bodies = bodies;
        }

        public Digest Surface { get; }
        public BodyFacts[] Bodies { get; }

        /// <summary>The hash of <paramref name="tree"/>'s whole text (this tree's), computed on first use: few reads need it.</summary>
        public Digest Full(SyntaxTree tree)
        {
            lock (_lock)
            {
                if (_full is not { } full)
                {
                    using var hasher = new Hasher();
                    var text = tree.GetText();
                    hasher.Append(text, new TextSpan(0, text.Length));
                    _full = full = hasher.Finish();
                }
                return full;
            }
        }

        public static TreeFacts Create(SyntaxTree tree)
        {
            var text = tree.GetText();
            var cut = new List<SyntaxNode>();
            CutBodies(tree.GetRoot(), cut);
            using var surface = new Hasher();
            using var body = new Hasher();
            surface.Append(tree.FilePath);
            if (tree.Options is CSharpParseOptions options)
            {
                surface.Append((int)options.LanguageVersion);
                surface.Append((int)options.Kind);
                surface.Append((int)options.DocumentationMode);
                foreach (var symbol in options.PreprocessorSymbolNames)
                    surface.Append(symbol);
                surface.Append("\0features");
                foreach (var feature in options.Features)
                    surface.Append(feature.Key + "=" + feature.Value);
            }
            else
            {
                surface.Append(IdentityOf(tree.Options));
            }
            var bodies = new BodyFacts[cut.Count];
            for (int i = 0; i < cut.Count; i++)
            {
                var span = cut[i].Span;
                body.Append(text, span);
                bodies[i] = new BodyFacts(span.Start, span.End, text.Lines.GetLinePosition(span.Start).Line, body.Finish());
            }
            // Outside the cut-out bodies: every token and every trivia that is not whitespace (so a blank line between
            // members changes no declaration; the bodies below it record their lines).
            int next = 0;
            HashSurface(tree.GetRoot(), cut, ref next, surface);
            return new TreeFacts(surface.Finish(), bodies);
        }

        /// <summary>Hashes the tokens and trivia of <paramref name="node"/>, a marker in place of each cut-out body (in document order).</summary>
        private static void HashSurface(SyntaxNode node, List<SyntaxNode> cut, ref int next, Hasher surface)
        {
            foreach (var child in node.ChildNodesAndTokens())
            {
                if (child.AsNode() is { } inner)
                {
                    if (next < cut.Count && inner == cut[next])
                    {
                        surface.Append(-1L);
                        surface.Append((int)inner.Kind());
                        surface.Append((int)(node.Kind()));
                        next++;
                    }
                    else if (next < cut.Count && inner.FullSpan.Contains(cut[next].Span))
                    {
                        HashSurface(inner, cut, ref next, surface);
                    }
                    else
                    {
                        foreach (var token in inner.DescendantTokens())
                            Token(token, surface);
                    }
                    continue;
                }
                Token(child.AsToken(), surface);
            }
        }

        private static void Token(SyntaxToken token, Hasher surface)
        {
            if (token.HasLeadingTrivia)
                Trivia(surface, token.LeadingTrivia);
            surface.Append((int)token.Kind());
            surface.Append(token.Text);
            if (token.HasTrailingTrivia)
                Trivia(surface, token.TrailingTrivia);
        }

        /// <summary>Hashes every trivia but whitespace and line ends (comments, directives, disabled text, skipped tokens).</summary>
        private static void Trivia(Hasher surface, SyntaxTriviaList trivia)
        {
            foreach (var piece in trivia)
            {
                // Comments stay: an '// <auto-generated/>' header changes the file's nullable context.
                if (piece.Kind() is SyntaxKind.WhitespaceTrivia or SyntaxKind.EndOfLineTrivia)
                    continue;
                surface.Append((int)piece.Kind());
                surface.Append(piece.ToFullString());
            }
        }

        /// <summary>The index of the cut-out body that contains <paramref name="span"/>, or −1.</summary>
        public int BodyContaining(TextSpan span)
        {
            int low = 0, high = Bodies.Length - 1, found = -1;
            while (low <= high)
            {
                int mid = (low + high) / 2;
                if (Bodies[mid].Start <= span.Start)
                {
                    found = mid;
                    low = mid + 1;
                }
                else
                {
                    high = mid - 1;
                }
            }
            return found >= 0 && span.End <= Bodies[found].End ? found : -1;
        }

        /// <summary>Collects, in document order, the member-level bodies that can be cut out of the surface.</summary>
        private static void CutBodies(SyntaxNode node, List<SyntaxNode> cut)
        {
            switch (node)
            {
                case CompilationUnitSyntax unit:
                    foreach (var member in unit.Members)
                        CutBodies(member, cut);
                    break;
                case BaseNamespaceDeclarationSyntax ns:
                    foreach (var member in ns.Members)
                        CutBodies(member, cut);
                    break;
                // A primary constructor's parameters can be captured by any body (a synthesized field): keep them all.
                case TypeDeclarationSyntax { ParameterList: not null }:
                    break;
                case TypeDeclarationSyntax type:
                    foreach (var member in type.Members)
                        CutBodies(member, cut);
                    break;
                case BaseMethodDeclarationSyntax method:
                    Cut(method.Body, cut, accessor: false);
                    Cut(method.ExpressionBody, cut, accessor: false);
                    break;
                case BasePropertyDeclarationSyntax property:
                    Cut(property switch
                    {
                        PropertyDeclarationSyntax p => p.ExpressionBody,
                        IndexerDeclarationSyntax i => i.ExpressionBody,
                        _ => null,
                    }, cut, accessor: true);
                    foreach (var accessor in property.AccessorList?.Accessors ?? default)
                    {
                        Cut(accessor.Body, cut, accessor: true);
                        Cut(accessor.ExpressionBody, cut, accessor: true);
                    }
                    break;
            }
        }

        private static void Cut(SyntaxNode? body, List<SyntaxNode> cut, bool accessor)
        {
            // A directive (#if, #nullable, #line, #pragma) acts beyond the body; 'field' in an accessor declares a backing field.
            if (body is null || body.ContainsDirectives)
                return;
            if (accessor)
            {
                foreach (var token in body.DescendantTokens())
                {
                    if (token.ValueText == "field")
                        return;
                }
            }
            cut.Add(body);
        }
    }

    /// <summary>A SHA-256 digest.</summary>
    private readonly record struct Digest(ulong A, ulong B, ulong C, ulong D);

    /// <summary>Hashes strings, numbers and text spans (length-prefixed, so concatenations cannot collide).</summary>
    private sealed class Hasher : IDisposable
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly char[] _chars = new char[2048];
        // Appends are many and small (one per token): they are buffered, the hash sees 8 KB blocks.
        private readonly byte[] _buffer = new byte[8192];
        private int _count;

        public void Append(long value)
        {
            if (_count + 8 > _buffer.Length)
                Flush();
            for (int i = 0; i < 8; i++)
                _buffer[_count++] = (byte)(value >> (8 * i));
        }

        public void Append(string value)
        {
            Append(value.Length);
            for (int start = 0; start < value.Length; start += _chars.Length)
            {
                int count = Math.Min(_chars.Length, value.Length - start);
                value.CopyTo(start, _chars, 0, count);
                AppendChars(count);
            }
        }

        public void Append(SourceText text, TextSpan span)
        {
            Append(span.Length);
            for (int start = span.Start; start < span.End; start += _chars.Length)
            {
                int count = Math.Min(_chars.Length, span.End - start);
                text.CopyTo(start, _chars, 0, count);
                AppendChars(count);
            }
        }

        public void Append(Digest digest)
        {
            Append((long)digest.A);
            Append((long)digest.B);
            Append((long)digest.C);
            Append((long)digest.D);
        }

        /// <summary>The digest of everything appended; the hasher starts afresh.</summary>
        public Digest Finish()
        {
            Flush();
            var bytes = _hash.GetHashAndReset();
            return new Digest(BitConverter.ToUInt64(bytes, 0), BitConverter.ToUInt64(bytes, 8), BitConverter.ToUInt64(bytes, 16), BitConverter.ToUInt64(bytes, 24));
        }

        /// <summary>Each UTF-16 code unit as two bytes, exactly (lone surrogates included: no encoder replaces them).</summary>
        private void AppendChars(int count)
        {
            for (int i = 0; i < count; i++)
            {
                if (_count + 2 > _buffer.Length)
                    Flush();
                _buffer[_count++] = (byte)_chars[i];
                _buffer[_count++] = (byte)(_chars[i] >> 8);
            }
        }

        private void Flush()
        {
            if (_count > 0)
                _hash.AppendData(_buffer, 0, _count);
            _count = 0;
        }

        public void Dispose() => _hash.Dispose();
    }
}

/// <summary>
/// The syntax one generator parse read outside the declaration surface: its own body, the getters it inlined, the
/// callee bodies it parsed. <see cref="ModelCache"/> turns each into a dependency of the stored model.
/// </summary>
/// <remarks>Lives only during one parse; never stored.</remarks>
internal sealed class BodyReads
{
    /// <summary>The nodes read (a body, or a node inside one), in the order read.</summary>
    public List<SyntaxNode> Nodes { get; } = new();

    /// <summary>A step of the parse threw: its result depends on more than the text read, so it is not stored.</summary>
    public bool IsUnreadable { get; private set; }

    /// <summary>Records a read of <paramref name="node"/> (nothing for null).</summary>
    public void Read(SyntaxNode? node)
    {
        if (node is not null)
            Nodes.Add(node);
    }

    /// <summary>Records a read of every body of a property or indexer declaration (its getter and setter), else of the node.</summary>
    public void ReadBodies(SyntaxNode declaration)
    {
        if (declaration is not BasePropertyDeclarationSyntax property)
        {
            Read(declaration);
            return;
        }
        Read(property switch
        {
            PropertyDeclarationSyntax p => p.ExpressionBody,
            IndexerDeclarationSyntax i => i.ExpressionBody,
            _ => null,
        });
        foreach (var accessor in property.AccessorList?.Accessors ?? default)
        {
            Read(accessor.Body);
            Read(accessor.ExpressionBody);
        }
    }

    /// <summary>Marks the parse as not storable (see <see cref="IsUnreadable"/>).</summary>
    public void Unreadable() => IsUnreadable = true;
}
