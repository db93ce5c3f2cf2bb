"""Background jobs of the page: each runs in a thread with its own folder, reports progress and can be cancelled."""

from __future__ import annotations

import itertools
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import MutualAidError
from ..rules.idcard import mask_ids_in


class Cancelled(Exception):
    """Raised inside a job's progress call once the clerk pressed 取消."""


@dataclass
class Job:
    id: str
    title: str
    folder: Path                       # in/ holds the uploads, out/ what the job produced
    state: str = "running"             # running / done / failed / cancelled
    done: int = 0
    total: int | None = None
    step: str = ""
    message: str = ""
    result: dict = field(default_factory=dict)
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def inbox(self) -> Path:
        return self.folder / "in"

    @property
    def out(self) -> Path:
        return self.folder / "out"

    def tick(self, done: int | None = None, total: int | None = None, step: str | None = None) -> None:
        """Progress from the services' callbacks; also where a cancelled job stops."""
        if self.cancel.is_set():
            raise Cancelled
        if done is not None:
            self.done = done
        if total is not None:
            self.total = total
        if step is not None:
            self.step = step

    def status(self) -> dict:
        return {"id": self.id, "title": self.title, "state": self.state, "done": self.done, "total": self.total,
                "step": self.step, "message": self.message, "result": self.result}


class Jobs:
    def __init__(self, root: Path):
        self.root = root
        self._jobs: dict[str, Job] = {}
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def new(self, title: str) -> Job:
        with self._lock:
            job_id = f"{next(self._numbers)}"
            job = Job(job_id, title, self.root / job_id)
            self._jobs[job_id] = job
        job.inbox.mkdir(parents=True)
        job.out.mkdir()
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def start(self, job: Job, work: Callable[[Job], dict]) -> None:
        threading.Thread(target=self._run, args=(job, work), daemon=True, name=f"job-{job.id}").start()

    def cancel_all(self) -> None:
        for job in self._jobs.values():
            job.cancel.set()

    @staticmethod
    def _run(job: Job, work: Callable[[Job], dict]) -> None:
        try:
            job.result = work(job)
            job.state = "done"
        except Cancelled:
            job.state, job.message = "cancelled", "已取消"
        except MutualAidError as error:
            shown = mask_ids_in(str(error)).replace(f"{job.inbox}{os.sep}", "")   # the clerk's file name, not our folder
            job.state, job.message = "failed", f"没有完成：{shown}"
        except OSError as error:
            job.state = "failed"
            job.message = f"没有完成：无法读写文件 {Path(error.filename or '').name}（{error.strerror}）"
        except Exception as error:  # a bug: the page says so without the data (no personal data in the message)
            job.state, job.message = "failed", f"没有完成：程序内部错误（{type(error).__name__}），请把操作步骤告知维护人员"
