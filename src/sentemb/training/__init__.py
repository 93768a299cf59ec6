"""The training side of a run, called by `sentemb.train.train(cfg)`: `build` (module, loggers, trainer and `fit`
from the composed config), `dev_callback` (the dev set every N steps, the best encoder kept), `before_after`
(the starting encoder's scores beside the trained one's), `wandb_report` (what W&B gets at the end)."""
