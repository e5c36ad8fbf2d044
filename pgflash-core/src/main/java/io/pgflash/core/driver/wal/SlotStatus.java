package io.pgflash.core.driver.wal;

/**
 * The replication slot as the server sees it.
 *
 * @param exists whether the slot exists
 * @param active whether a process streams from it now
 * @param lagBytes WAL the slot holds back: {@code pg_current_wal_lsn()} minus its confirmed flush position
 * @param confirmedFlush the position confirmed by the consumer; null if none
 */
public record SlotStatus(String slot, boolean exists, boolean active, long lagBytes, Lsn confirmedFlush) {
}
