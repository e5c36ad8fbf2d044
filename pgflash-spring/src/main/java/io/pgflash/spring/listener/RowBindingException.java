package io.pgflash.spring.listener;

import io.pgflash.core.NonRetryable;

/**
 * A row that cannot be bound to a listener's record or bean (a value its conversion service cannot convert): the same
 * row fails the same way on a retry, so the error policy passes it to its recoverer at once.
 */
public class RowBindingException extends IllegalArgumentException implements NonRetryable {

    public RowBindingException(String message, Throwable cause) {
        super(message, cause);
    }
}
