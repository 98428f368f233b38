using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LayerGen.Generator.Tests;

/// <summary>
/// Walks an object graph through every instance field (which covers auto-properties, records, tuples,
/// <c>ImmutableArray</c>, <c>EquatableArray</c> and plain arrays) and reports the path of each Roslyn object it
/// reaches: a pipeline model that holds one keeps a whole compilation alive and defeats the generator's cache.
/// </summary>
internal static class RoslynObjectWalker
{
    private static readonly Type[] Forbidden =
    [
        typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(SemanticModel), typeof(Compilation),
        typeof(Location), typeof(IOperation), typeof(AttributeData), typeof(SyntaxToken), typeof(SyntaxTrivia),
        typeof(SyntaxNodeOrToken), typeof(TypedConstant), typeof(SyntaxReference),
    ];

    /// <summary>The paths (from <paramref name="root"/>) of every Roslyn object reachable from it.</summary>
    public static IReadOnlyList<string> FindRoslynObjects(object? root, string rootName = "output")
    {
        var found = new List<string>();
        Walk(root, rootName, new HashSet<object>(ReferenceEqualityComparer.Instance), found, depth: 0);
        return found;
    }

    private static void Walk(object? value, string path, HashSet<object> visited, List<string> found, int depth)
    {
        if (value is null || depth > 64)
            return;
        var type = value.GetType();
        if (Forbidden.Any(f => f.IsAssignableFrom(type)))
        {
            found.Add($"{path}: {type.FullName}");
            return;
        }
        if (type.IsPrimitive || type.IsEnum || value is string or decimal || type.IsPointer)
            return;
        if (!type.IsValueType && !visited.Add(value))
            return;

        // Arrays and collections: walk the elements (ImmutableArray's default value throws on enumeration).
        if (value is IEnumerable enumerable && !IsDefaultImmutableArray(value))
        {
            int i = 0;
            foreach (var item in enumerable)
                Walk(item, $"{path}[{i++}]", visited, found, depth + 1);
            if (type.IsArray)
                return;
        }

        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (field.FieldType.IsPointer || field.FieldType.IsByRefLike)
                    continue;
                Walk(field.GetValue(value), $"{path}.{CleanName(field.Name)}", visited, found, depth + 1);
            }
        }
    }

    private static bool IsDefaultImmutableArray(object value)
    {
        var type = value.GetType();
        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(System.Collections.Immutable.ImmutableArray<>))
            return false;
        return (bool)type.GetProperty("IsDefault")!.GetValue(value)!;
    }

    // "<Name>k__BackingField" → "Name".
    private static string CleanName(string field) =>
        field.StartsWith('<') && field.Contains('>') ? field[1..field.IndexOf('>')] : field;
}
