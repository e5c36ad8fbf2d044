package io.pgflash.core;

/** Takes an event its listener failed on after all retries (to park it, alert, or repair). */
@FunctionalInterface
public interface Recoverer {

    void recover(ChangeEvent event, Throwable error) throws Exception;
}
