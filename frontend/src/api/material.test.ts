import { describe, expect, it } from "vitest";
import { formatSize, uploadRefusal } from "./material";

describe("uploadRefusal", () => {
  it("keeps the service's code and message", () => {
    const body = JSON.stringify({
      error: { code: "unsupported_material", message: "the file is not a PDF" },
    });
    const error = uploadRefusal(415, body);
    expect(error.status).toBe(415);
    expect(error.code).toBe("unsupported_material");
    expect(error.message).toBe("the file is not a PDF");
  });

  it("explains a proxy's 413 page", () => {
    const error = uploadRefusal(413, "<html>Request Entity Too Large</html>");
    expect(error.code).toBe("http_413");
    expect(error.message).toContain("500 MB");
  });
});

describe("formatSize", () => {
  it("shows megabytes and kilobytes", () => {
    expect(formatSize(212.4 * 1024 * 1024)).toBe("212.4 MB");
    expect(formatSize(1740)).toBe("1.7 KB");
  });
});
