package io.pgflash.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The page in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, which {@code .ci/run}
 * installs): it connects to the feed, and a click on "Insert post" shows the change on the page. Without the browser
 * installed the test is skipped, unless {@code PGFLASH_REQUIRE_BROWSER} is set (CI sets it).
 */
@EmbeddedSampleApp
class BrowserTest {

    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");

    private static WebDriver browser;

    @LocalServerPort
    int port;

    @BeforeAll
    static void startBrowser() {
        boolean installed = CHROMIUM.canExecute() && CHROMEDRIVER.canExecute();
        if (System.getenv("PGFLASH_REQUIRE_BROWSER") != null) {
            assertThat(installed).as("chromium and chromedriver in /usr/bin (apt-get install chromium chromium-driver)")
                    .isTrue();
        }
        assumeTrue(installed, "Debian's chromium and chromium-driver are not installed");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        // headless as root on a machine without network: no sandbox, no GPU, no background calls home
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1400,1000");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER).build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void clickingInsertShowsTheEventOnThePage() throws IOException {
        browser.get("http://localhost:" + port + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.until(ExpectedConditions.textToBe(By.id("connection"), "feed connected"));
        wait.until(ExpectedConditions.textToBe(By.id("driver"), "driver: trigger (notify)"));
        // the post cache was loaded by a snapshot, and the page says so
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("snapshot"), "snapshot complete"));

        String title = "Hello from Chromium " + System.nanoTime();
        browser.findElement(By.id("title")).sendKeys(title);
        browser.findElement(By.id("insert")).click();

        WebElement event = wait.until(ExpectedConditions.presenceOfElementLocated(By.xpath(
                "//ol[@id='events']/li[@data-operation='INSERT' and contains(., '" + title + "')]")));
        assertThat(event.getText()).contains("INSERT", "public.posts", title);
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("notes"), title));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("posts"), title));
        wait.until(ExpectedConditions.textToBe(By.id("health"), "pgflash UP"));

        // the row's Publish button: an UPDATE, and the filtered listener's remark
        browser.findElement(By.xpath("//table[@id='posts']//tr[contains(., '" + title + "')]"
                + "//button[@data-action='publish']")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.xpath("//ol[@id='events']/li[@data-operation="
                + "'UPDATE' and contains(., '" + title + "') and contains(., 'changed: status')]")));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("notes"),
                "Now published: \"" + title + "\""));
        // the page's own stream watches published posts: the publish is the row entering its filter
        wait.until(ExpectedConditions.presenceOfElementLocated(By.xpath("//ol[@id='watched']/li[@data-operation="
                + "'INSERT' and contains(., '" + title + "') and contains(., 'UPDATE in the database')]")));

        browser.findElement(By.id("burst")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("events"), "Post 100 of a burst"));

        Path screenshot = ((ChromeDriver) browser).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(screenshot, Path.of("target", "sample-app.png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
