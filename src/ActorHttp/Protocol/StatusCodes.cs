namespace ActorHttp.Protocol;

/// <summary>Status codes the server itself produces, and the reason phrases for all registered codes.</summary>
public static class StatusCodes
{
    public const int Continue = 100;
    public const int SwitchingProtocols = 101;
    public const int Ok = 200;
    public const int NoContent = 204;
    public const int PartialContent = 206;
    public const int MovedPermanently = 301;
    public const int NotModified = 304;
    public const int BadRequest = 400;
    public const int Unauthorized = 401;
    public const int Forbidden = 403;
    public const int NotFound = 404;
    public const int MethodNotAllowed = 405;
    public const int RequestTimeout = 408;
    public const int PayloadTooLarge = 413;
    public const int UnsupportedMediaType = 415;
    public const int UriTooLong = 414;
    public const int RangeNotSatisfiable = 416;
    public const int ExpectationFailed = 417;
    public const int UpgradeRequired = 426;
    public const int TooManyRequests = 429;
    public const int RequestHeaderFieldsTooLarge = 431;
    public const int InternalServerError = 500;
    public const int NotImplemented = 501;
    public const int ServiceUnavailable = 503;
    public const int HttpVersionNotSupported = 505;

    /// <summary>True when RFC 9110 forbids a body for this status (1xx, 204, 304).</summary>
    public static bool ForbidsBody(int status) => status < 200 || status == NoContent || status == NotModified;

    /// <summary>The registered reason phrase (RFC 9110 §15), or a generic one for the class.</summary>
    public static string ReasonPhrase(int status) => status switch
    {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        >= 100 and < 200 => "Informational",
        >= 200 and < 300 => "Success",
        >= 300 and < 400 => "Redirection",
        >= 400 and < 500 => "Client Error",
        _ => "Server Error",
    };
}
