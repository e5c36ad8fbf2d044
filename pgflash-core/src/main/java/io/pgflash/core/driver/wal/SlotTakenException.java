package io.pgflash.core.driver.wal;

/**
 * The group's replication slot name is taken: by a slot of another database of the server (an application of the
 * same group name there), of another output plugin, or streamed by another process. The fix is a slot of its own.
 */
public class SlotTakenException extends WalPreconditionException {

    public SlotTakenException(String message) {
        super(message);
    }
}
