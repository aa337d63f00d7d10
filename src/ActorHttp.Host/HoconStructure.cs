namespace ActorHttp.Host;

/// <summary>
/// Akka's HOCON parser accepts some broken input silently (an unclosed brace or list, a key with no value), so the
/// node checks the structure first: brackets balance, strings close, and every <c>=</c> or <c>:</c> has a value.
/// </summary>
internal static class HoconStructure
{
    /// <summary>A description of the first structural error with its line, or null.</summary>
    public static string? FindError(string text)
    {
        var open = new Stack<(char Bracket, int Line)>();
        var line = 1;
        var expectValue = false;
        var keySeen = false; // a key (or value) token since the last newline, bracket or comma
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n') { line++; keySeen = false; continue; }
            if (c == ',') { keySeen = false; continue; }
            if (char.IsWhiteSpace(c)) continue;
            if (c == '#' || (c == '/' && i + 1 < text.Length && text[i + 1] == '/'))
            {
                while (i + 1 < text.Length && text[i + 1] != '\n') i++;
                continue;
            }
            if (expectValue && c is '}' or ']') return $"line {line}: a key has no value";
            expectValue = false;
            switch (c)
            {
                case '"' when i + 2 < text.Length && text[i + 1] == '"' && text[i + 2] == '"':
                    var end = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                    if (end < 0) return $"line {line}: unclosed \"\"\" string";
                    line += text.AsSpan(i, end - i).Count('\n');
                    i = end + 2;
                    keySeen = true;
                    break;
                case '"':
                    var j = i + 1;
                    while (j < text.Length && text[j] != '"' && text[j] != '\n') j += text[j] == '\\' ? 2 : 1;
                    if (j >= text.Length || text[j] != '"') return $"line {line}: unclosed string";
                    i = j;
                    keySeen = true;
                    break;
                case '{' or '[':
                    open.Push((c, line));
                    keySeen = false;
                    break;
                case '}' or ']':
                    if (open.Count == 0) return $"line {line}: unexpected '{c}'";
                    var (bracket, _) = open.Pop();
                    if ((bracket == '{') != (c == '}')) return $"line {line}: '{c}' closes '{bracket}'";
                    keySeen = false;
                    break;
                case '=':
                case ':' when i + 1 == text.Length || char.IsWhiteSpace(text[i + 1]): // not in "http://x" or "host:80"
                    if (!keySeen) return $"line {line}: a value has no key";
                    expectValue = true;
                    keySeen = false;
                    break;
                default:
                    keySeen = true;
                    break;
            }
        }
        if (expectValue) return $"line {line}: a key has no value";
        if (open.Count > 0)
        {
            var (bracket, at) = open.Peek();
            return $"line {at}: '{bracket}' is never closed";
        }
        return null;
    }
}
