package io.pgflash.spring.listener;

import io.pgflash.core.ChangeEvent;
import java.util.List;

/**
 * Runs each call of a {@code @PgChangeListener} method, with something around it (an observation, for tracing). The
 * default calls it as is.
 */
@FunctionalInterface
public interface ListenerInvocations {

    /** Calls the method directly. */
    ListenerInvocations DIRECT = (listenerId, events, batch, call) -> call.run();

    /**
     * Runs {@code call}, the method of listener {@code listenerId} given {@code events} (one, or a batch's), and
     * passes on what it throws.
     */
    void invoke(String listenerId, List<ChangeEvent> events, boolean batch, Call call) throws Exception;

    /** The method call itself. */
    @FunctionalInterface
    interface Call {
        void run() throws Exception;
    }
}
