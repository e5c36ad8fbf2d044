package io.pgflash.core.driver;

/** Where a driver's stream is. */
public enum DriverState {
    STOPPED, STARTING, STREAMING, RECONNECTING,
    /** Running, while another instance of its consumer group reads; it takes over when that one goes. */
    STANDBY
}
