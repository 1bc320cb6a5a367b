"""Every command of the window: one table gives menus, shortcuts and the `?` cheat sheet."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QDialog, QLabel, QMainWindow, QMenu, QVBoxLayout, QWidget

__all__ = ["Command", "COMMANDS", "build_menus", "ShortcutsDialog", "cheat_sheet_rows"]


@dataclass(frozen=True)
class Command:
    """A window command: ``slot`` names the ViewerWindow method it calls (dotted for ``tools.…``).

    ``menu`` '' = keyboard only.
    """

    name: str
    label: str
    slot: str
    keys: tuple[str, ...] = ()
    menu: str = "View"
    checkable: bool = False


COMMANDS = (
    Command("open", "&Open…", "choose_file", ("Ctrl+O",), "File"),
    Command("open_sample", "Open &Sample Photo", "open_sample", (), "File"),
    Command("paste", "&Paste Image", "paste_image", ("Ctrl+V",), "File"),
    Command("copy", "&Copy LIIF View", "copy_view", ("Ctrl+C",), "File"),
    Command("export", "&Export View…", "tools.export_view", ("Ctrl+E",), "File"),
    Command("quit", "&Quit", "close", ("Ctrl+Q",), "File"),
    Command("fit", "&Fit", "fit", ("F", "0", "Ctrl+0", "Home")),
    Command("one_to_one", "&1:1 (one image px per screen px)", "one_to_one", ("1", "Ctrl+1")),
    Command("zoom_in", "Zoom &In", "zoom_in", ("+", "=", "Ctrl++")),
    Command("zoom_out", "Zoom &Out", "zoom_out", ("-", "Ctrl+-")),
    Command("pan_left", "Pan Left", "pan_left", ("Left",), ""),
    Command("pan_right", "Pan Right", "pan_right", ("Right",), ""),
    Command("pan_up", "Pan Up", "pan_up", ("Up",), ""),
    Command("pan_down", "Pan Down", "pan_down", ("Down",), ""),
    Command("layout_three", "&Three Panes (Pixels, Bilinear, LIIF)", "layout_three", ("T",), checkable=True),
    Command("layout_liif", "&LIIF Only", "layout_liif", ("L",), checkable=True),
    Command("layout_swipe", "&Swipe: LIIF Against Bilinear/Pixels", "layout_swipe", ("S",), checkable=True),
    Command("layout_diff", "&Difference: LIIF − Bilinear/Pixels", "layout_diff", ("D",), checkable=True),
    Command("swipe_partner", "Swipe Against &Pixels (else Bilinear)", "toggle_swipe_partner", ("B",), checkable=True),
    Command("exact", "&Exact LIIF (fp32; slower)", "toggle_exact", ("M",), checkable=True),
    Command("profile", "Line &Profile (drag a line)", "inspect.toggle_profile", ("P",), "Inspect", checkable=True),
    Command("histogram", "&Histogram of the View", "inspect.show_histogram", (), "Inspect"),
    Command("navigator", "&Navigator", "inspect.toggle_navigator", ("N",), "Inspect", checkable=True),
    Command("full_screen", "F&ull Screen", "toggle_full_screen", ("F11",), checkable=True),
    Command("leave_full_screen", "Leave Full Screen / Presentation", "tools.leave", ("Esc",), ""),
    Command("sweep", "&Resolution Sweep…", "tools.open_sweep", (), "Demo"),
    Command("flight_pick", "Zoom Flight: &Click a Point", "tools.pick_flight_target", ("Z",), "Demo"),
    Command("flight", "&Start/Stop Zoom Flight", "tools.toggle_flight", ("Space",), "Demo"),
    Command("flight_settings", "Zoom &Flight…", "tools.flight_settings", (), "Demo"),
    Command("record_flight", "R&ecord Zoom Flight…", "tools.record_flight", (), "Demo"),
    Command("presentation", "&Presentation Mode", "tools.toggle_presentation", ("F5",), "Demo"),
    Command("shortcuts", "&Keyboard Shortcuts", "show_shortcuts", ("?", "F1"), "Help"),
)

_SEPARATE_AFTER = {"open_sample", "export", "sweep", "record_flight", "one_to_one", "zoom_out", "layout_diff", "exact"}
_EXTRA_ROWS = (
    ("arrow keys", "pan"),
    ("wheel / pinch", "zoom about the cursor"),
    ("drag", "pan all panes together"),
    ("double-click", "fit ↔ 1:1 at the cursor"),
    ("drag the divider", "move the swipe line"),
    ("drop a file", "open it"),
)


def cheat_sheet_rows() -> list[tuple[str, str]]:
    """(keys, what) rows of the cheat sheet and the README."""
    rows = [(" / ".join(c.keys), c.label.replace("&", "").rstrip("…"))
            for c in COMMANDS if c.keys and not c.name.startswith("pan_")]
    return rows + list(_EXTRA_ROWS)


def build_menus(window: QMainWindow) -> tuple[dict[str, QAction], QMenu]:
    """Create ``window``'s menus and actions, each connected to the window's method its command names.

    Returns the actions by command name and the (empty) File → Open Recent menu.
    """
    actions: dict[str, QAction] = {}
    menus: dict[str, QMenu] = {}
    recent_menu: QMenu | None = None
    layouts = QActionGroup(window)
    for command in COMMANDS:
        action = QAction(command.label, window)
        action.setShortcuts([QKeySequence(k) for k in command.keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(command.checkable)
        action.triggered.connect(attrgetter(command.slot)(window))
        if command.name.startswith("layout_"):
            layouts.addAction(action)
        window.addAction(action)  # shortcuts work even while the menu bar is hidden (full screen)
        if not command.menu:
            actions[command.name] = action
            continue
        if command.menu not in menus:
            menus[command.menu] = window.menuBar().addMenu("&" + command.menu)
        menu = menus[command.menu]
        menu.addAction(action)
        if command.name == "open":
            recent_menu = menu.addMenu("Open &Recent")
        if command.name in _SEPARATE_AFTER:
            menu.addSeparator()
        actions[command.name] = action
    assert recent_menu is not None  # the table has an open command
    return actions, recent_menu


class ShortcutsDialog(QDialog):
    """The keyboard cheat sheet (non-modal); the keys that open it (`?`, F1) close it again, as does Esc."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = "".join(f"<tr><td><b>{keys}</b></td><td>&nbsp;&nbsp;{what}</td></tr>"
                       for keys, what in cheat_sheet_rows())
        label = QLabel(f"<table cellspacing='3'>{rows}</table>")
        label.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.addWidget(label)

    @staticmethod
    def _closes(event: QKeyEvent) -> bool:
        return event.text() == "?" or event.key() in (Qt.Key.Key_Question, Qt.Key.Key_F1, Qt.Key.Key_Escape)

    def event(self, event: QEvent) -> bool:  # noqa: D102
        if event.type() == QEvent.Type.ShortcutOverride and self._closes(event):
            event.accept()  # these keys close the sheet rather than trigger the window's commands
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: D102, N802
        if self._closes(event):
            self.close()
            return
        super().keyPressEvent(event)
