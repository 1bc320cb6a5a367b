"""Image input policy: every mode becomes float RGB (+ alpha); broken files give one-line errors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from liif_viewer.files.image_io import ImageLoadError, ImageSaveError, load_image, save_image, to_uint8


def test_rgb_png_roundtrip(tmp_path, sample_rgb):
    path = save_image(tmp_path / "a.png", to_uint8(sample_rgb[:20, :30]))
    img = load_image(path)
    assert img.rgb.shape == (20, 30, 3) and img.alpha is None
    np.testing.assert_array_equal(to_uint8(img.rgb), to_uint8(sample_rgb[:20, :30]))
    assert oct(os.stat(path).st_mode & 0o777) != oct(0o600)


def _idat_start(path: Path) -> bytes:
    data, pos = path.read_bytes(), 8
    while data[pos + 4:pos + 8] != b"IDAT":
        pos += 12 + int.from_bytes(data[pos:pos + 4], "big")
    return data[pos + 8:pos + 10]


def test_png_outputs_write_faster_for_files_a_little_larger(tmp_path, sample_rgb):
    rgb8 = to_uint8(sample_rgb)
    path = save_image(tmp_path / "a.png", rgb8)
    assert _idat_start(path)[1] >> 6 == 1  # zlib's header: a level from 2 to 5 (Pillow's default, 6, writes 2)
    Image.fromarray(rgb8).save(tmp_path / "pillow.png")
    assert _idat_start(tmp_path / "pillow.png")[1] >> 6 == 2
    assert path.stat().st_size <= 1.1 * (tmp_path / "pillow.png").stat().st_size


def test_grayscale_palette_cmyk(tmp_path):
    gray = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8) * 4, "L")
    gray.save(tmp_path / "g.png")
    g = load_image(tmp_path / "g.png")
    assert g.rgb.shape == (8, 8, 3) and np.allclose(g.rgb[..., 0], g.rgb[..., 2])

    gray.convert("P").save(tmp_path / "p.png")
    assert load_image(tmp_path / "p.png").rgb.shape == (8, 8, 3)

    Image.new("CMYK", (5, 4), (0, 255, 255, 0)).save(tmp_path / "c.jpg")
    c = load_image(tmp_path / "c.jpg")
    assert c.rgb.shape == (4, 5, 3) and c.rgb[..., 0].mean() > 0.8 and c.rgb[..., 1].mean() < 0.2


def test_sixteen_bit_keeps_precision(tmp_path):
    arr = (np.arange(16, dtype=np.uint16).reshape(4, 4) * 4000 + 7)
    Image.fromarray(arr).save(tmp_path / "d.png")
    img = load_image(tmp_path / "d.png")
    np.testing.assert_allclose(img.rgb[..., 1], arr / 65535.0, atol=1e-6)


def test_alpha_is_kept(tmp_path):
    rgba = np.zeros((6, 7, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = np.linspace(0, 255, 7).astype(np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    img = load_image(tmp_path / "t.png")
    assert img.alpha is not None and img.alpha.shape == (6, 7) and img.alpha.dtype == np.uint8
    np.testing.assert_array_equal(img.alpha[0], rgba[0, :, 3])  # the file's 8 bits, exactly


def test_exif_orientation_applied(tmp_path):
    arr = np.zeros((10, 20, 3), np.uint8)
    arr[0, 0] = 255  # top-left marker
    img = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    img.save(tmp_path / "r.jpg", exif=exif.tobytes(), quality=100)
    loaded = load_image(tmp_path / "r.jpg")
    assert loaded.rgb.shape == (20, 10, 3)
    assert loaded.rgb[0, -1].mean() > 0.5  # the marker moved to the top-right
    assert Image.Exif().load(loaded.exif) is None or True
    out = Image.Exif()
    out.load(loaded.exif)
    assert out[0x0112] == 1


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("empty.png", b"", "empty"),
        ("text.png", b"hello, not an image", "text.png: not an image"),
        ("broken.png", b"\x89PNG\r\n\x1a\n this is not really a PNG", "broken.png: the PNG file is damaged"),
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF", "photo.jpg: the JPEG file is cut short"),
        ("missing.png", None, "no such file"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageLoadError, match=message) as info:
        load_image(path)
    assert "\n" not in str(info.value) and "Pillow" not in str(info.value)  # what is wrong, not who read it


def test_truncated_file(tmp_path, sample_rgb):
    full = save_image(tmp_path / "full.png", to_uint8(sample_rgb))
    cut = tmp_path / "cut.png"
    cut.write_bytes(full.read_bytes()[:5000])
    with pytest.raises(ImageLoadError, match="cut.png: the PNG file is cut short"):
        load_image(cut)
    broken = tmp_path / "broken.png"
    data = full.read_bytes()
    broken.write_bytes(data[:3000] + bytes(500) + data[3500:])
    with pytest.raises(ImageLoadError, match="broken.png: the PNG file is damaged"):
        load_image(broken)


def test_save_to_missing_folder_leaves_nothing(tmp_path):
    with pytest.raises(ImageSaveError, match="does not exist"):
        save_image(tmp_path / "nope" / "x.png", np.zeros((2, 2, 3), np.uint8))


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_save_to_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ImageSaveError):
            save_image(folder / "x.png", np.zeros((2, 2, 3), np.uint8))
    finally:
        folder.chmod(0o700)


def test_full_disk_leaves_no_partial_file(tmp_path, monkeypatch):
    import errno

    def disk_full(self, fh, *args, **kwargs):
        fh.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", disk_full)
    with pytest.raises(ImageSaveError, match="the disk is full"):
        save_image(tmp_path / "x.png", np.zeros((2, 2, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_rounding_to_nearest():
    np.testing.assert_array_equal(to_uint8(np.array([0.0, 0.5 / 255, 0.49 / 255, 1.2, -1.0])), [0, 1, 0, 255, 0])


def test_check_writable_tries_the_folder_and_names_the_real_reason(tmp_path, monkeypatch):
    import errno
    import tempfile

    from liif_viewer.files.image_io import check_writable

    assert check_writable(tmp_path / "ok.png") == "" and list(tmp_path.iterdir()) == []  # the probe is gone
    assert "does not exist" in check_writable(tmp_path / "nope" / "x.png")
    (tmp_path / "file.txt").write_text("x")
    assert "is a file, not a folder" in check_writable(tmp_path / "file.txt" / "x.png")
    (tmp_path / "dir.png").mkdir()
    assert "it is a folder" in check_writable(tmp_path / "dir.png")
    assert "unknown output format" in check_writable(tmp_path / "x.pdf")
    for code, words in ((errno.EROFS, "the folder is on a read-only file system"), (errno.EACCES, "permission denied"),
                        (errno.ENOSPC, "the disk is full")):
        def refuse(*args, code=code, **kwargs):
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
        assert check_writable(tmp_path / "x.png") == f"cannot write to {tmp_path}: {words}" + (
            " (you cannot create files there)" if code == errno.EACCES else "") + "; choose another folder"
    monkeypatch.undo()
    if Path("/proc/self").is_dir():  # the case: root may "write" /proc, yet no file can be made there
        assert "the folder does not accept new files" in check_writable("/proc/forbidden.png")
