package io.pgflash.sample;

import java.util.List;

/** The default setup: an embedded PostgreSQL and the trigger driver in notify mode. */
@EmbeddedSampleApp
class EmbeddedSampleAppTest extends SampleAppTest {

    @Override
    List<String> expectedDriver() {
        return List.of("trigger", "notify");
    }

    @Override
    String driverHealthDetail() {
        return "/notifyQueueUsage";
    }
}
