import CEpoll
import Glibc
import ProxyLoop

/// The tunnel through an HTTP proxy to a TLS origin: `CONNECT host:port` (RFC 9110 section
/// 9.3.6) on the TCP connection to the proxy, a 2xx answer, then the TLS handshake with the
/// origin inside it, so the proxy sees only the origin's name and encrypted bytes.
/// `Proxy-Authorization` goes to the proxy in the CONNECT; the registry's own credentials
/// only ever travel inside the tunnel. The connect timeout covers the whole step.
extension UpstreamConnection {
    func startTunnel() {
        guard let proxy else { return }
        let authority = origin.host.contains(":") ? "[\(origin.host)]:\(origin.port)" : "\(origin.host):\(origin.port)"
        var text = "CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\nUser-Agent: \(pool.userAgent)\r\n"
        if let authorization = proxy.authorization { text += "Proxy-Authorization: \(authorization)\r\n" }
        text += "\r\n"
        tunnelBytes = Array(text.utf8)
        tunnelOffset = 0
        buffered = 0
        cep_http_reset(&head)
        state = .tunnelling
        continueTunnel([.writable])
    }

    /// Writes the rest of the CONNECT, then reads the proxy's answer.
    func continueTunnel(_ events: EventLoop.Events) {
        guard let proxy else { return }
        while tunnelOffset < tunnelBytes.count {
            let n = tunnelBytes.withUnsafeBytes { raw in cep_write(fd, raw.baseAddress! + tunnelOffset, raw.count - tunnelOffset) }
            if n > 0 {
                tunnelOffset += n
            } else if n == -Int(EAGAIN) {
                setInterest([.writable])
                return
            } else {
                fail(.connect("\(origin) through proxy \(proxy): the proxy closed the connection"))
                return
            }
        }
        setInterest([.readable])
        while true {
            let room = UpstreamConnection.bufferCapacity - buffered
            guard room > 0 else {
                fail(.connect("\(origin) through proxy \(proxy): answer to CONNECT too large"))
                return
            }
            let n = cep_read(fd, buffer + buffered, room)
            if n == -Int(EAGAIN) { return }
            guard n > 0 else {
                fail(.connect("\(origin) through proxy \(proxy): the proxy closed the connection during CONNECT"))
                return
            }
            buffered += n
            let rc = cep_http_parse_response(&head, buffer.assumingMemoryBound(to: CChar.self), buffered)
            if rc == CEP_HTTP_PARTIAL { continue }
            guard rc > 0 else {
                fail(.connect("\(origin) through proxy \(proxy): malformed answer to CONNECT"))
                return
            }
            let status = Int(head.status)
            // Nothing may follow the answer: in TLS the client speaks first.
            guard Int(rc) == buffered || !(200..<300).contains(status) else {
                fail(.connect("\(origin) through proxy \(proxy): the proxy sent data after its answer to CONNECT"))
                return
            }
            guard (200..<300).contains(status) else {
                fail(.connect("\(origin) through proxy \(proxy): CONNECT answered \(status)\(status == 407 ? " (proxy authentication required: set user:password in the proxy URL)" : "")"))
                return
            }
            buffered = 0
            cep_http_reset(&head)
            tunnelBytes = []
            startTLS()
            return
        }
    }
}
