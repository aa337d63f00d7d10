using System.Net;
using System.Net.Sockets;

namespace ActorHttp.Host;

/// <summary>Checks that an address can be bound, before the actor system starts.</summary>
internal static class AddressProbe
{
    /// <summary>Null if <paramref name="host"/>:<paramref name="port"/> can be bound now, else the reason.</summary>
    public static string? CannotBind(string host, int port)
    {
        if (port == 0) return null;
        try
        {
            var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).First();
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true); // as Akka.IO binds
            socket.Bind(new IPEndPoint(address, port));
            return null;
        }
        catch (SocketException e)
        {
            return e.Message;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return e.Message;
        }
    }
}
