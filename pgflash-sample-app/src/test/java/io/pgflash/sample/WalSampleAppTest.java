package io.pgflash.sample;

import java.util.List;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The sample on a server given by {@code spring.datasource.url}, switched to the WAL driver by one property. */
@SpringBootTest(classes = SampleApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"pgflash.driver=wal", "pgflash.wal.slot-name=pgflash_sample_test",
            "pgflash.remove-objects-on-shutdown=true", "pgflash.shutdown-timeout=5s"})
class WalSampleAppTest extends SampleAppTest {

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry properties) {
        useTestDatabase(properties);
    }

    @Override
    List<String> expectedDriver() {
        return List.of("wal", "pgoutput");
    }

    @Override
    String driverHealthDetail() {
        return "/slot/lagBytes";
    }
}
