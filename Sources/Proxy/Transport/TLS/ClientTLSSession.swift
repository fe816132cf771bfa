import CEpoll

/// One client connection's TLS session (an OpenSSL `SSL` in accept state) and what the
/// connection must remember about it between events.
///
/// Confinement: owned by one `ClientConnection`, on its loop.
final class ClientTLSSession {
    /// The `cep_tls` session; freed with this object.
    let pointer: OpaquePointer
    /// Whether the kernel encrypts this session's records (kTLS), so file bodies go out with
    /// `SSL_sendfile`; known once the handshake is done.
    var kernelSends = false
    /// Whether the handshake finished (a close then sends close_notify).
    var established = false
    /// A read stopped because OpenSSL must write first (a TLS 1.3 key update answer): the
    /// connection watches writability until a read goes through again.
    var readWantsWrite = false
    /// A file chunk was cut short by a full socket: the next file write waits for
    /// writability instead of reading another chunk (see `ClientConnection.sendTLS`).
    var socketFull = false

    init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        cep_tls_free(pointer)
    }
}
