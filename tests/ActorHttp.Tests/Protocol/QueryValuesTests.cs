using ActorHttp.Protocol;
using CsCheck;
using Xunit;

namespace ActorHttp.Tests.Protocol;

[Trait("Category", "Protocol")]
public sealed class QueryValuesTests
{
    private static HttpRequest Request(string query) => new() { Method = "GET", Target = "/q?" + query, Path = "/q", Query = query };

    [Fact]
    public void Repeated_names_are_kept_in_order()
    {
        var values = QueryValues.Parse("a=1&b=2&a=3");
        Assert.Equal(3, values.Count);
        Assert.Equal("1", values["a"]);
        Assert.Equal(["1", "3"], values.GetAll("a"));
        Assert.Equal(["a", "b", "a"], values.Select(p => p.Key));
        Assert.Equal(new KeyValuePair<string, string>("b", "2"), values[1]);
    }

    [Fact]
    public void A_missing_name_is_null_and_has_no_values()
    {
        var values = QueryValues.Parse("a=1");
        Assert.Null(values["A"]); // names are case-sensitive
        Assert.False(values.Contains("b"));
        Assert.Empty(values.GetAll("b"));
    }

    [Theory]
    [InlineData("q=a+b", "a b")]
    [InlineData("q=a%2Bb", "a+b")]
    [InlineData("q=%e2%82%ac", "€")]
    [InlineData("q=%E2%82%AC%20x", "€ x")]
    [InlineData("q=caf%C3%A9", "café")]
    [InlineData("q=%zz", "%zz")] // invalid escapes are kept literally
    [InlineData("q=%4", "%4")]
    [InlineData("q=%", "%")]
    [InlineData("q=100%", "100%")]
    [InlineData("q=%ff", "\uFFFD")] // not UTF-8: the replacement character
    [InlineData("q=a=b", "a=b")] // only the first '=' separates
    [InlineData("q=", "")]
    [InlineData("q", "")]
    public void Values_are_decoded_as_forms_are(string query, string expected) =>
        Assert.Equal(expected, QueryValues.Parse(query)["q"]);

    [Fact]
    public void Names_are_decoded_too_and_empty_pairs_are_skipped()
    {
        var values = QueryValues.Parse("&&first+name=Ada&&=anonymous&%5Bx%5D=1&");
        Assert.Equal([new("first name", "Ada"), new("", "anonymous"), new KeyValuePair<string, string>("[x]", "1")], values);
    }

    [Fact]
    public void Text_in_a_query_built_in_code_stands_for_its_UTF8_bytes() =>
        Assert.Equal("日本 😀+", QueryValues.Parse("q=日本+😀%2B")["q"]);

    [Fact]
    public void The_request_parses_its_query_once_and_only_when_asked()
    {
        var request = Request("page=2&tag=a&tag=b");
        var values = request.QueryValues;
        Assert.Same(values, request.QueryValues);
        Assert.Equal("2", values["page"]);
        Assert.Equal(["a", "b"], values.GetAll("tag"));
        Assert.Same(QueryValues.Empty, Request("").QueryValues);
    }

    [Fact]
    public void A_copy_with_another_query_has_its_own_values()
    {
        var request = Request("page=2");
        Assert.Equal("2", request.QueryValues["page"]);
        var copy = request with { Query = "page=3" };
        Assert.Equal("3", copy.QueryValues["page"]);
        Assert.Same(request.QueryValues, (request with { Path = "/other" }).QueryValues); // the same query keeps its values
    }

    [Fact]
    public void The_cache_does_not_change_equality()
    {
        var request = Request("a=1");
        var copy = request with { };
        _ = request.QueryValues;
        Assert.Equal(request, copy);
        Assert.Equal(request.GetHashCode(), copy.GetHashCode());
        Assert.NotEqual(request, request with { Query = "a=2" });
    }

    [Fact]
    public void Items_are_added_to_a_copy()
    {
        var request = Request("");
        var with = request.WithItem("user", "ada").WithItem("role", "admin");
        Assert.Empty(request.Items);
        Assert.Equal("ada", with.Items["user"]);
        Assert.Equal("admin", with.Items["role"]);
    }

    // ------------------------------------------------------------------ properties

    /// <summary>Text made of the pieces a query gets wrong most easily: separators, escapes, '+', spaces, non-ASCII, surrogate pairs.</summary>
    private static readonly Gen<string> Text =
        Gen.OneOf<string>("a", "Z", "0", "&", "=", "+", "%", "%2", "%zz", " ", "?", "#", "/", "~", "é", "日本", "😀", "\t", "\u00a0")
            .Array[0, 6].Select(string.Concat);

    private static readonly Gen<KeyValuePair<string, string>[]> Pairs = Gen.Select(Text, Text, (k, v) => new KeyValuePair<string, string>(k, v)).Array[0, 6];

    [Fact]
    public void Encoding_then_parsing_gives_the_pairs_back() =>
        Pairs.Sample(pairs => Assert.Equal(pairs, QueryValues.Parse(QueryValues.Encode(pairs))), iter: 5_000);

    [Fact]
    public void Form_encoding_with_plus_for_space_gives_the_pairs_back() =>
        Pairs.Sample(pairs =>
        {
            var form = string.Join('&', pairs.Select(p => $"{Form(p.Key)}={Form(p.Value)}"));
            Assert.Equal(pairs, QueryValues.Parse(form));
        }, iter: 5_000);

    private static string Form(string s) => Uri.EscapeDataString(s).Replace("%20", "+");

    [Fact]
    public void Any_text_parses_without_throwing() =>
        Gen.String.Sample(query =>
        {
            var values = QueryValues.Parse(query);
            Assert.True(values.Count <= query.Count(c => c == '&') + 1);
        }, iter: 5_000);
}
