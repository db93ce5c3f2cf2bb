"""mutualaid_xl: 职工医疗互助的计算引擎、Excel 加载项、工作簿模板与公文生成。"""

__version__ = "0.1.0"
