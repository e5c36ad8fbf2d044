package io.pgflash.core.internal.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * A socket whose reader can wait for the next byte without a poll: pgjdbc's replication stream only offers a
 * non-blocking read, which peeks with a one-millisecond timeout, so an idle reader would wake a thousand times a
 * second. The byte that ends a wait is pushed back and read first by whoever reads next (pgjdbc, or a TLS layer on
 * top of this socket, which reads through {@link #getInputStream()} too).
 */
public final class WaitableSocket extends Socket {

    private PushbackInputStream input;

    @Override
    public synchronized InputStream getInputStream() throws IOException {
        if (input == null) {
            input = new PushbackInputStream(super.getInputStream(), 1);
        }
        return input;
    }

    /**
     * Waits up to {@code timeout} for data to read. Call it only from the thread that reads the stream, and only
     * when the reader above has nothing buffered.
     *
     * @return whether data (or the end of the stream) is there to read
     * @throws IOException if the connection broke
     */
    public boolean awaitData(Duration timeout) throws IOException {
        PushbackInputStream in = (PushbackInputStream) getInputStream();
        if (in.available() > 0) {
            return true;
        }
        int previous = getSoTimeout();
        setSoTimeout((int) Math.max(1, timeout.toMillis()));
        try {
            int next = in.read();
            if (next >= 0) {
                in.unread(next);
            }
            return true; // a byte, or the end of the stream, which the reader above should meet
        } catch (SocketTimeoutException e) {
            return false;
        } finally {
            if (!isClosed()) {
                setSoTimeout(previous);
            }
        }
    }
}
